"""What each field of a tenant spec means, in Chinese and English, for the JSON Schema.

Editors (yaml-language-server) show a property's ``description`` as its tooltip, so the
schema's ``description`` is the Chinese text followed by the English one; ``description_zh``
and ``description_en`` carry each language alone for tools that pick one. Keyed by
``Model.field`` as the field is written in YAML (``DataRequest.from``).
"""

from __future__ import annotations

__all__ = ["FIELDS", "MODELS"]

# Model.field -> (中文, English)
FIELDS: dict[str, tuple[str, str]] = {
    "TenantSpec.id": (
        "租户 id：小写字母、数字和连字符，与文件名相同，例如 th-zwsjj",
        "Tenant id: lower-case letters, digits and '-', the same as the file name, e.g. th-zwsjj",
    ),
    "TenantSpec.name": (
        "单位的正式中文名称，与统一社会信用代码证书一致",
        "Official name (Chinese), as on the credit-code certificate",
    ),
    "TenantSpec.credit_code": (
        "统一社会信用代码（GB 32100-2015），18 位，从证书上照抄",
        "Unified social credit code, GB 32100-2015: 18 characters, copied from the certificate",
    ),
    "TenantSpec.level": (
        "行政级别：province 省级、city 市级、county 县级",
        "Administrative level: province, city or county",
    ),
    "TenantSpec.division_code": (
        '行政区划代码（GB/T 2260），六位数字，加引号，例如 "440106"',
        'Administrative division code, GB/T 2260: six digits in quotes, e.g. "440106"',
    ),
    "TenantSpec.owners": (
        "政府侧负责人：审批变更，并以命名空间管理员身份登录",
        "Government owners: approve changes and sign in as namespace admins",
    ),
    "TenantSpec.data": (
        "数据分级、个人信息和保存期限",
        "Data classification, personal information and retention",
    ),
    "TenantSpec.quotas": (
        "资源配额：CPU、内存、存储和对象数量的上限",
        "Resource quotas: ceilings on CPU, memory, storage and object counts",
    ),
    "TenantSpec.network": (
        "网络：租户网段、共享服务、对等互联和互联网出口",
        "Network: tenant CIDR, shared services, peerings and internet egress",
    ),
    "TenantSpec.access": (
        "运维方的书面、限期访问授权",
        "Written, time-bound access grants for the operator",
    ),
    "TenantSpec.data_requests": (
        "本部门向其他部门提出的数据需求",
        "Data this department needs from other departments",
    ),
    "TenantSpec.budget": (
        "年度预算及（超过限额时的）专家委员会评审",
        "Annual budget and, above the threshold, the expert-committee review",
    ),
    "TenantSpec.placement": (
        "部署区域：不写则按规则放置（所在市有节点则放在该市节点，否则放在省级节点）；"
        "重要和核心数据须填写灾备区域",
        "Region: by rule when absent (the city's node if it has one, else the provincial "
        "node); important and core data name a disaster-recovery region",
    ),
    "TenantSpec.lifecycle": (
        "生命周期：在用（active）或下线中（decommissioning）",
        "Lifecycle: active or decommissioning",
    ),
    "AccessGrant.group": (
        "获得授权的运维组（见 stacks/<env>.yaml 的 operator_groups）",
        "Operator group granted access (operator_groups in stacks/<env>.yaml)",
    ),
    "AccessGrant.scope": (
        "授权范围：ops 运维操作，data 数据访问",
        "Scope: ops (operations) or data (data access)",
    ),
    "AccessGrant.document": (
        "书面授权的文号，例如 粤政数授〔2026〕15号",
        "Number of the written authorization, e.g. 粤政数授〔2026〕15号",
    ),
    "AccessGrant.granted_by": (
        "授予授权的负责人邮箱（须为 owners.contacts 之一）",
        "E-mail of the owner who granted it (one of owners.contacts)",
    ),
    "AccessGrant.countersigned_by": (
        "会签负责人的邮箱；重要/核心数据的数据范围授权必填",
        "E-mail of the countersigning owner; required for data scope on important or core data",
    ),
    "AccessGrant.granted": ("授权日期（YYYY-MM-DD）", "Date granted (YYYY-MM-DD)"),
    "AccessGrant.expires": (
        "到期日期（YYYY-MM-DD），最多在授权日后 365 天",
        "Expiry date (YYYY-MM-DD), at most 365 days after granted",
    ),
    "AccessGrant.expires_at": (
        "文件写明到期时刻时填写：带时区的 ISO 8601 时间，须在 expires "
        "当天（北京时间）；不填则 expires 当天结束时到期",
        "The exact moment of expiry when the document names a time of "
        "day (ISO 8601 with a UTC offset, on the `expires` date in "
        "Beijing time); without it the grant ends at the end of "
        "`expires`",
    ),
    "Budget.annual_cny": ("年度预算，单位：元", "Annual budget in CNY"),
    "Budget.review": (
        "专家委员会评审记录；预算超过限额时必填",
        "Expert-committee review; required above the budget threshold",
    ),
    "CommitteeReview.reference": (
        "评审文号，例如 粤政数评〔2026〕12号",
        "Reference number of the review, e.g. 粤政数评〔2026〕12号",
    ),
    "CommitteeReview.date": ("评审日期（YYYY-MM-DD）", "Date of the review (YYYY-MM-DD)"),
    "CommitteeReview.participants": (
        "参会人员，须包括一位副主任委员",
        "Participants, including a vice-chair",
    ),
    "ReviewParticipant.name": ("姓名", "Name"),
    "ReviewParticipant.role": (
        "角色：chair 主任委员、vice-chair 副主任委员、member 委员",
        "chair, vice-chair or member",
    ),
    "Contact.name": ("姓名", "Name"),
    "Contact.email": (
        "政府邮箱（允许的负责人邮箱域内）",
        "Government e-mail (in an allowed owner domain)",
    ),
    "Contact.title": ("职务（可选）", "Job title (optional)"),
    "Owners.group": (
        "负责人登录所用的统一身份认证组",
        "Identity-provider group the owners sign in with",
    ),
    "Owners.contacts": (
        "负责人名单：至少两位本部门人员，不得有运维方人员",
        "Owners: at least two people of the department, no operator staff",
    ),
    "DataPolicy.classification": (
        "数据分级（GB/T 43697-2024）：general 一般数据、important 重要数据、core 核心数据",
        "Data classification, GB/T 43697-2024: general, important or core",
    ),
    "DataPolicy.personal_information": (
        "是否处理个人信息（个人信息保护法）：none 无、personal 个人信息、sensitive 敏感个人信息",
        "Personal information processed (PIPL): none, personal or sensitive",
    ),
    "DataPolicy.retention_days": (
        "下线后数据保存天数；处理个人信息时必填",
        "Days data is kept after decommissioning; required with personal information",
    ),
    "DataPolicy.dedicated_key": (
        "是否使用本租户专属的 KMS 密钥（核心数据必须为 true）",
        "A KMS key used by this tenant only (always true for core)",
    ),
    "DataPolicy.datasets": (
        "本部门向数据目录发布的数据集",
        "Datasets this department publishes to the data catalogue",
    ),
    "Dataset.id": (
        "数据集 id：小写字母、数字和连字符",
        "Dataset id: lower-case letters, digits and '-'",
    ),
    "Dataset.name": ("数据集名称（中文）", "What the data is (Chinese)"),
    "Dataset.classification": (
        "数据集的分类分级：general、important、core，不高于本租户",
        "Classification of the dataset (general, important, core), not above the tenant's",
    ),
    "Dataset.personal_information": (
        "是否含个人信息：none、personal、sensitive，不高于本租户",
        "Personal information in it: none, personal or sensitive, not above the tenant's",
    ),
    "Dataset.prefix": (
        "数据集在本租户存储桶中的对象前缀，以 / 结尾，例如 open/licences/",
        "The key prefix of the tenant's bucket holding it, ending in '/', e.g. open/licences/",
    ),
    "Dataset.fields": ("包含的字段", "The fields (columns) it holds"),
    "Dataset.desensitized": (
        "是否为提供方写入的去标识化副本；含个人信息的数据集无原始数据法律依据时只能共享去标识化副本",
        "A de-identified copy written by the provider; personal data without a legal basis "
        "for the raw data is shared only this way",
    ),
    "ContainerResources.cpu": (
        'CPU，单位为核或毫核，例如 "2" 或 500m',
        'CPU in cores or millicores, e.g. "2" or 500m',
    ),
    "ContainerResources.memory": (
        "内存，使用二进制单位，例如 512Mi、4Gi（不是 GB）",
        "Memory in binary units, e.g. 512Mi, 4Gi (not GB)",
    ),
    "ContainerResources.ephemeral_storage": (
        "临时存储（emptyDir、容器日志、可写层），例如 1Gi；不填时默认请求 256Mi、上限 1Gi",
        "Ephemeral storage (emptyDir, container logs, writable layer), e.g. 1Gi; default: "
        "256Mi requested, 1Gi limit",
    ),
    "ContainerDefaults.requests": (
        "容器未声明时的默认请求量",
        "Default requests for containers that declare none",
    ),
    "ContainerDefaults.limits": (
        "容器未声明时的默认上限",
        "Default limits for containers that declare none",
    ),
    "Quotas.cpu": ('CPU 配额（核），例如 "16"', 'CPU quota in cores, e.g. "16"'),
    "Quotas.memory": ("内存配额，例如 64Gi（不是 64GB）", "Memory quota, e.g. 64Gi (not 64GB)"),
    "Quotas.storage": ("存储配额，例如 5Ti", "Storage quota, e.g. 5Ti"),
    "Quotas.pods": ("Pod 数量上限", "Maximum number of pods"),
    "Quotas.services": ("Service 数量上限", "Maximum number of services"),
    "Quotas.config_maps": ("ConfigMap 数量上限", "Maximum number of config maps"),
    "Quotas.secrets": ("Secret 数量上限", "Maximum number of secrets"),
    "Quotas.persistent_volume_claims": (
        "持久卷申领（PVC）数量上限",
        "Maximum number of persistent volume claims",
    ),
    "Quotas.ephemeral_storage": (
        "所有容器合计的节点本地临时存储配额（emptyDir、容器日志、可写层），例如 500Gi；不填时为 "
        "stacks/<env>.yaml 中本级别的 default_ephemeral_storage",
        "Node-local scratch space of all containers together (emptyDir, container logs, "
        "writable layers), e.g. 500Gi; default: the level's default_ephemeral_storage in "
        "stacks/<env>.yaml",
    ),
    "Quotas.gpus": (
        "获批的 GPU 数量（stacks/<env>.yaml 的 gpu_resource，默认 nvidia.com/gpu）；"
        "其他扩展资源（GPU、NPU、大页内存）一律为 0",
        "GPUs granted (gpu_resource in stacks/<env>.yaml, default nvidia.com/gpu); "
        "every other extended resource (GPUs, NPUs, huge pages) stays at 0",
    ),
    "Quotas.network_policies": (
        "本部门在 govcloud 自带策略之外可自行添加的 NetworkPolicy 数量（默认 20，最多 200）",
        "NetworkPolicies the department may add besides govcloud's own (default 20, at most 200)",
    ),
    "Quotas.defaults": ("容器的默认请求量和上限", "Default requests and limits of containers"),
    "NetworkSpec.cidr": (
        "租户网段，由 `govcloud tenant new` 分配，例如 10.64.13.0/24",
        "Tenant CIDR, allocated by `govcloud tenant new`, e.g. 10.64.13.0/24",
    ),
    "NetworkSpec.shared_services": (
        "要访问的共享服务 id（见 stacks/<env>.yaml）",
        "Shared services to reach, by id (see stacks/<env>.yaml)",
    ),
    "NetworkSpec.peers": (
        "依据数据共享协议与其他租户的对等互联",
        "Peerings with other tenants under data-sharing agreements",
    ),
    "NetworkSpec.egress": (
        "互联网出口：none 无，proxy 经代理（重要/核心数据和敏感个人信息只能为 none）",
        "Internet egress: none or proxy (none for important or core data "
        "and sensitive personal information)",
    ),
    "Peer.tenant": ("对方租户 id", "Tenant id of the peer"),
    "Peer.agreement": (
        "数据共享协议文号；双方须引用同一协议",
        "Data-sharing agreement number; both sides cite the same one",
    ),
    "Peer.ports": (
        "本方对对方开放、也可访问对方的 TCP 端口（默认 443）；双方都声明的端口才连通",
        "TCP ports this side opens to the peer and may reach on it (default 443); "
        "a path exists on the ports both sides declare",
    ),
    "DataRequest.from": ("提供数据的部门的租户 id", "Tenant id of the providing department"),
    "DataRequest.dataset": (
        "所需数据集的 id（提供方 data.datasets 中发布的）",
        "Id of a dataset the provider publishes (data.datasets)",
    ),
    "DataRequest.data": (
        "需要什么数据（数据目录建立之前的需求用文字描述）",
        "What data is needed, in words (requests from before the catalogue)",
    ),
    "DataRequest.raw_basis": (
        "允许获取原始个人信息的法律条款；没有时只能申请去标识化数据集",
        "The article of law that allows receiving the raw personal information; without it "
        "only de-identified datasets may be requested",
    ),
    "DataRequest.authorization": (
        "批准文件：批准后数据共享生效，至到期时撤销",
        "The approval, once granted: the share lives until it expires",
    ),
    "ShareAuthorization.document": (
        "批准文件的文号，例如 粤政数授〔2026〕15号",
        "Number of the approval document, e.g. 粤政数授〔2026〕15号",
    ),
    "ShareAuthorization.approved_by": (
        "批准人邮箱（须为提供方 owners.contacts 之一）",
        "Who approved it: an owner of the providing department",
    ),
    "ShareAuthorization.expires": (
        "到期日期（含当日，北京时间）",
        "Last day of the share (inclusive, Beijing time)",
    ),
    "ShareAuthorization.expires_at": (
        "精确到期时刻（ISO 8601，带时区，须在 expires 当日）",
        "The exact moment the share ends (ISO 8601 with offset, on the expires date)",
    ),
    "DataRequest.purpose": ("用途", "What it is needed for"),
    "DataRequest.legal_basis": (
        "依据的法律、法规或文件",
        "The law, regulation or document that allows it",
    ),
    "DataRequest.requested": ("提出日期（YYYY-MM-DD）", "Date requested (YYYY-MM-DD)"),
    "DataRequest.justification": (
        "为何需求大于风险；向持有核心数据的部门申请时必填",
        "Why the need outweighs the risk; required for core data",
    ),
    "Placement.region": (
        "运行的区域（stacks/<env>.yaml 中 regions 的 id）；与规则不符时检查给出警告，"
        "区域不存在或未获该数据级别认证时报错",
        "The region it runs in (an id of regions in stacks/<env>.yaml); the check warns when "
        "it differs from the rule and refuses a region that does not exist or is not "
        "certified for the tenant's data",
    ),
    "Placement.dr_region": (
        "灾备区域：重要和核心数据必填，须是另一个获该数据级别认证的区域",
        "Disaster-recovery region: required for important and core data; another region "
        "certified for the tenant's classification",
    ),
    "Lifecycle.state": (
        "状态：active 在用，decommissioning 下线中",
        "State: active or decommissioning",
    ),
    "Lifecycle.since": (
        "当前状态的起始日期（下线时为保存期限的起算日）",
        "When the current state began (for decommissioning, the start of retention)",
    ),
}

# Model -> (中文, English), shown for the file as a whole and for each section.
MODELS: dict[str, tuple[str, str]] = {
    "TenantSpec": (
        "省政务云上一个部门的租户申请，`tenants/<id>.yaml`",
        "One department of the province, as requested in `tenants/<id>.yaml`",
    ),
}
