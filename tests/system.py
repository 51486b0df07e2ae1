"""What the test command needs from the system besides Python, Go and git: headless Chromium
(the report's browser test) and a CJK font (the page's Chinese text as Chromium draws it;
the charts carry their own glyphs, from the font govcloud's dependencies ship). ./quickstart
and .ci/run install them with tools/system-packages; a test that finds one missing says
this."""

INSTALL = (
    "install them with tools/system-packages (./quickstart and .ci/run run it; "
    "Debian/Ubuntu: sudo apt-get install chromium fonts-noto-cjk fontconfig)"
)
