"""What the test command needs from the system besides Python, Go and git: headless Chromium
(the report's browser test) and a CJK font (the charts' Chinese labels). ./quickstart and
.ci/run install them with tools/system-packages; a test that finds one missing says this."""

INSTALL = (
    "install them with tools/system-packages (./quickstart and .ci/run run it; "
    "Debian/Ubuntu: sudo apt-get install chromium fonts-noto-cjk fontconfig)"
)
