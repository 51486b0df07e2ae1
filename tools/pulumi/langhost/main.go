// Command pulumi-language-python is govcloud's own, minimal Pulumi language host for Python
// programs. It is NOT the upstream pulumi-language-python.
//
// # Why this exists
//
// The upstream host lives in the Go module
// github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3, which is published only under
// pseudo-versions; the Go module proxy refuses every commit we could name and GitHub is not
// reachable from govcloud's build machines. The engine (pkg/v3) and the Python SDK's own
// scripts (pulumi-language-python-exec, pulumi-resource-pulumi-python) are available, so this
// file supplies the missing piece: a small gRPC server that speaks pulumirpc.LanguageRuntime.
//
// # What it implements
//
// Only what `pulumi up/preview/destroy/refresh` of a Python program, Python dynamic providers,
// Python CrossGuard policy packs and the Automation API need:
//
//   - Handshake: records the engine address (only sent when the engine attaches to a host).
//   - GetPluginInfo: reports the version stamped in at link time.
//   - GetRequiredPlugins / GetRequiredPackages: always empty. govcloud programs use only dynamic
//     providers, which the engine resolves itself (pulumi-resource-pulumi-python on PATH).
//   - Run: executes `<python> -u pulumi-language-python-exec --monitor ... PROGRAM`, passing the
//     stack config via PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS, forwarding the program's
//     stdout/stderr to the engine, and mapping exit code 32 ("message already shown") to Bail.
//   - RunPlugin: runs Python plugins in a PulumiPolicy.yaml / PulumiPlugin.yaml directory;
//     policy packs (kind "analyzer") start as `<python> -u -m pulumi.policy ARGS... PACKDIR`.
//   - InstallDependencies: a no-op that says so; govcloud manages its virtualenvs itself.
//   - About / GetProgramDependencies: python path and version; `pip list` of the interpreter.
//   - Cancel: accepted; the engine tears down running programs by cancelling their RPCs.
//
// Everything else (code generation, templates, packing, linking, option prompts) answers
// Unimplemented, which the engine treats as "not supported by this language".
//
// # Which python
//
// The project's runtime option `virtualenv` (relative paths resolve against the project root,
// i.e. the directory of Pulumi.yaml / PulumiPolicy.yaml) selects `<venv>/bin/python`; with
// `toolchain: uv` and no virtualenv, `.venv` is assumed (as in the SDK's dynamic-provider
// script). Without a virtualenv, $PULUMI_PYTHON_CMD, then python3, then python on PATH are used.
// Poetry-managed environments are not supported.
//
// The exec shim pulumi-language-python-exec must sit next to this binary's resolved
// executable (symlinks resolved), as with upstream; the host exits with "missing executor"
// otherwise.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const (
	// execScriptName is the Python shim (from the sdk/v3 module's python/cmd/) that configures
	// pulumi.runtime and runs the user's program.
	execScriptName = "pulumi-language-python-exec"

	// exitCodeUserActionable is what the exec shim exits with after it has already reported an
	// error to the user; the engine should then bail without printing another one.
	exitCodeUserActionable = 32

	// envConfig and envConfigSecretKeys are read by pulumi.runtime.get_config_env() and
	// get_config_secret_keys_env() respectively: a JSON object and a JSON list of strings.
	envConfig           = "PULUMI_CONFIG"
	envConfigSecretKeys = "PULUMI_CONFIG_SECRET_KEYS" //nolint:gosec // a variable name, not a secret

	// killGrace is how long a child gets after SIGINT/SIGTERM before it is killed outright.
	killGrace = 10 * time.Second
)

func main() {
	flags := flag.NewFlagSet(os.Args[0], flag.ExitOnError)
	// Flags the engine may prepend when launching any plugin (see buildPluginArguments in
	// sdk/v3 go/common/resource/plugin/plugin.go).
	tracing := flags.String("tracing", "", "Zipkin-compatible tracing endpoint (forwarded to the program)")
	logToStderr := flags.Bool("logtostderr", false, "write host logs to stderr")
	verbose := flags.Int("v", 0, "host log verbosity")
	// Accepted for compatibility with engines that still pass runtime options as flags; the
	// options are read from ProgramInfo on every request instead.
	_ = flags.String("root", "", "ignored (project root comes from ProgramInfo)")
	_ = flags.String("virtualenv", "", "ignored (virtualenv comes from ProgramInfo options)")
	_ = flags.String("toolchain", "", "ignored (toolchain comes from ProgramInfo options)")
	_ = flags.String("typechecker", "", "ignored")
	_ = flags.Parse(os.Args[1:])
	logging.InitLogging(*logToStderr, *verbose, false)

	execScript, err := findExecScript()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	host := &pythonHost{execScript: execScript, tracing: *tracing}
	// The engine passes its own gRPC address as the last positional argument.
	if args := flags.Args(); len(args) > 0 {
		host.engineAddress = args[len(args)-1]
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "could not start language host RPC server: %v\n", err)
		os.Exit(1)
	}

	// Like every plugin: the first line on stdout is the port the engine should dial.
	fmt.Printf("%d\n", handle.Port)

	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "language host RPC stopped serving: %v\n", err)
		os.Exit(1)
	}
}

// findExecScript returns pulumi-language-python-exec from the directory of this binary's
// resolved executable.
func findExecScript() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("could not determine current executable: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(self); err == nil {
		self = resolved
	}
	script := filepath.Join(filepath.Dir(self), execScriptName)
	if _, err := os.Stat(script); err != nil {
		return "", fmt.Errorf("missing executor %s", script)
	}
	return script, nil
}

// pythonHost implements pulumirpc.LanguageRuntimeServer for Python programs.
type pythonHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	execScript string // absolute path of pulumi-language-python-exec
	tracing    string // tracing endpoint to forward to programs, if any

	mu            sync.Mutex
	engineAddress string // engine gRPC address (argv or Handshake)
}

var _ pulumirpc.LanguageRuntimeServer = (*pythonHost)(nil)

func (h *pythonHost) engine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engineAddress
}

// Handshake is only sent when the engine attaches to an already-running host
// (PULUMI_DEBUG_LANGUAGES); it carries the engine address that is otherwise on argv.
func (h *pythonHost) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if addr := req.GetEngineAddress(); addr != "" {
		h.engineAddress = addr
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

// GetPluginInfo reports the version linked in via -X .../go/common/version.Version.
func (h *pythonHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// GetRequiredPlugins: no resource plugins to install; dynamic providers need none.
func (h *pythonHost) GetRequiredPlugins(
	context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

// GetRequiredPackages: as GetRequiredPlugins (the engine asks this one first).
func (h *pythonHost) GetRequiredPackages(
	context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

// Run executes the Python program through the SDK's exec shim and waits for it.
func (h *pythonHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	py, err := resolvePython(req.GetInfo())
	if err != nil {
		// A user-facing configuration problem, reported as the program's error.
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	config := req.GetConfig()
	if config == nil {
		config = map[string]string{}
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, fmt.Errorf("serializing config: %w", err)
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("serializing config secret keys: %w", err)
	}

	args := []string{
		"-u", h.execScript,
		"--monitor", req.GetMonitorAddress(),
		"--project", req.GetProject(),
		"--stack", req.GetStack(),
		"--dry_run", strconv.FormatBool(req.GetDryRun()),
		"--parallel", strconv.Itoa(int(req.GetParallel())),
	}
	appendOpt := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	appendOpt("engine", h.engine())
	appendOpt("pwd", req.GetPwd())
	appendOpt("organization", req.GetOrganization())
	appendOpt("root_directory", req.GetInfo().GetRootDirectory())
	appendOpt("tracing", h.tracing)
	args = append(args, programPath(req))
	args = append(args, req.GetArgs()...)

	cmd := exec.CommandContext(ctx, py.executable, args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = py.environ(os.Environ(),
		envConfig+"="+string(configJSON),
		envConfigSecretKeys+"="+string(secretKeysJSON))
	// The engine turns our stdout/stderr into diagnostics, so the program's output goes there.
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = killGrace
	logging.V(5).Infof("pulumi-language-python: running %s %s", py.executable, strings.Join(args, " "))

	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exitErr) && exitErr.ExitCode() == exitCodeUserActionable:
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(err, &exitErr) && exitErr.ExitCode() >= 0:
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
		}, nil
	case errors.As(err, &exitErr):
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited unexpectedly: %v", err)}, nil
	default:
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", err),
		}, nil
	}
}

// programPath is the path handed to runpy.run_path: a file, or a directory holding __main__.py.
func programPath(req *pulumirpc.RunRequest) string {
	if info := req.GetInfo(); info != nil && info.GetProgramDirectory() != "" {
		entry := info.GetEntryPoint()
		if entry == "" {
			entry = "."
		}
		return filepath.Join(info.GetProgramDirectory(), entry)
	}
	if p := req.GetProgram(); p != "" { //nolint:staticcheck // fallback for engines without ProgramInfo
		return p
	}
	return "."
}

// RunPlugin runs a plugin implemented in Python and streams its output back. The engine reads
// the plugin's port from the first stdout line, exactly as for a binary plugin.
func (h *pythonHost) RunPlugin(
	req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	py, err := resolvePython(req.GetInfo())
	if err != nil {
		return err
	}
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		return errors.New("RunPlugin: no program directory in request")
	}

	var args []string
	if req.GetKind() == "analyzer" {
		// CrossGuard policy pack: pulumi.policy's __main__ takes `engineAddress program` and
		// ignores the logging/tracing flags the engine may put in front.
		args = append([]string{"-u", "-m", "pulumi.policy"}, req.GetArgs()...)
		args = append(args, dir)
	} else {
		// Any other Python plugin: run the directory's __main__.py with the engine's arguments.
		args = append([]string{"-u", dir}, req.GetArgs()...)
	}

	base := req.GetEnv()
	if len(base) == 0 {
		base = os.Environ()
	}
	cmd := exec.CommandContext(server.Context(), py.executable, args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = py.environ(base)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = killGrace
	logging.V(5).Infof("pulumi-language-python: running plugin %s %s", py.executable, strings.Join(args, " "))

	// gRPC streams are not safe for concurrent Send; stdout and stderr share this lock.
	var sendMu sync.Mutex
	send := func(resp *pulumirpc.RunPluginResponse) error {
		sendMu.Lock()
		defer sendMu.Unlock()
		return server.Send(resp)
	}
	cmd.Stdout = &streamWriter{send: func(b []byte) error {
		return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}})
	}}
	cmd.Stderr = &streamWriter{send: func(b []byte) error {
		return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}})
	}}

	code := int32(0)
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return fmt.Errorf("running plugin %s: %w", dir, err)
		}
		code = int32(exitErr.ExitCode()) //nolint:gosec // exit codes fit in int32
	}
	return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}

// streamWriter forwards each write as one RunPluginResponse message.
type streamWriter struct {
	send func([]byte) error
}

func (w *streamWriter) Write(p []byte) (int, error) {
	// Copy: the caller reuses p after Write returns, the message may be marshalled later.
	if err := w.send(bytes.Clone(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// InstallDependencies deliberately installs nothing: govcloud builds and pins its virtualenvs
// outside Pulumi. It only checks that the configured interpreter exists.
func (h *pythonHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest,
	server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	py, err := resolvePython(req.GetInfo())
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("pulumi-language-python (govcloud): dependencies are managed outside Pulumi; "+
		"nothing installed. Using %s\n", py.executable)
	return server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: []byte(msg)})
}

// About reports the interpreter in use and its version.
func (h *pythonHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	py, err := resolvePython(req.GetInfo())
	if err != nil {
		return nil, err
	}
	out, err := py.output(ctx, "--version")
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{
		Executable: py.executable,
		Version:    strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "Python")),
		Metadata:   map[string]string{"host": "govcloud pulumi-language-python"},
	}, nil
}

// GetProgramDependencies lists the distributions installed for the interpreter (pip list).
func (h *pythonHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	py, err := resolvePython(req.GetInfo())
	if err != nil {
		return nil, err
	}
	out, err := py.output(ctx, "-m", "pip", "list", "--format=json", "--disable-pip-version-check")
	if err != nil {
		return nil, err
	}
	var pkgs []struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	if err := json.Unmarshal(out, &pkgs); err != nil {
		return nil, fmt.Errorf("parsing pip list output: %w", err)
	}
	resp := &pulumirpc.GetProgramDependenciesResponse{}
	for _, p := range pkgs {
		resp.Dependencies = append(resp.Dependencies, &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version})
	}
	return resp, nil
}

// Cancel is accepted as a no-op: running programs and plugins stop when the engine cancels
// their Run/RunPlugin calls (the child gets SIGINT/SIGTERM, then SIGKILL after killGrace).
func (h *pythonHost) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// python is a resolved interpreter, optionally inside a virtualenv.
type python struct {
	executable string // path of the python binary
	virtualenv string // absolute virtualenv directory, or "" when using a PATH python
}

// resolvePython picks the interpreter for a program or plugin from its runtime options.
func resolvePython(info *pulumirpc.ProgramInfo) (python, error) {
	opts := map[string]any{}
	if info.GetOptions() != nil {
		opts = info.GetOptions().AsMap()
	}
	venv, _ := opts["virtualenv"].(string)
	toolchain, _ := opts["toolchain"].(string)
	switch {
	case toolchain == "poetry":
		return python{}, errors.New("runtime option toolchain: poetry is not supported by govcloud's " +
			"pulumi-language-python; set `virtualenv` to the environment's directory instead")
	case venv == "" && toolchain == "uv":
		venv = ".venv"
	}

	if venv != "" {
		if !filepath.IsAbs(venv) {
			venv = filepath.Join(info.GetRootDirectory(), venv)
		}
		exe := filepath.Join(venv, "bin", "python")
		if st, err := os.Stat(exe); err != nil || st.IsDir() {
			return python{}, fmt.Errorf("the 'virtualenv' option in Pulumi.yaml is set to %q, "+
				"but %s does not exist; create the virtual environment and install pulumi into it", venv, exe)
		}
		return python{executable: exe, virtualenv: venv}, nil
	}

	candidates := []string{"python3", "python"}
	if cmd := os.Getenv("PULUMI_PYTHON_CMD"); cmd != "" {
		candidates = []string{cmd}
	}
	for _, c := range candidates {
		if exe, err := exec.LookPath(c); err == nil {
			return python{executable: exe}, nil
		}
	}
	return python{}, fmt.Errorf("no python interpreter found on PATH (tried %s); "+
		"set the `virtualenv` runtime option in Pulumi.yaml", strings.Join(candidates, ", "))
}

// environ returns base plus extra ("K=V") with the virtualenv activated the way `activate`
// does it: VIRTUAL_ENV set, its bin first on PATH, PYTHONHOME removed.
func (p python) environ(base []string, extra ...string) []string {
	env := make([]string, 0, len(base)+len(extra)+2)
	set := map[string]string{}
	for _, kv := range extra {
		k, v, _ := strings.Cut(kv, "=")
		set[k] = v
	}
	if p.virtualenv != "" {
		path := filepath.Join(p.virtualenv, "bin")
		for _, kv := range base {
			if k, v, ok := strings.Cut(kv, "="); ok && k == "PATH" && v != "" {
				path += string(os.PathListSeparator) + v
			}
		}
		set["PATH"] = path
		set["VIRTUAL_ENV"] = p.virtualenv
	}
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if _, overridden := set[k]; overridden || (p.virtualenv != "" && k == "PYTHONHOME") {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

// output runs the interpreter with args and returns its stdout.
func (p python) output(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, p.executable, args...)
	cmd.Env = p.environ(os.Environ())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", p.executable, strings.Join(args, " "), err,
			strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// Compile-time check that streamWriter is an io.Writer.
var _ io.Writer = (*streamWriter)(nil)
