"""Every relative link and image in the README points at a file of the checkout."""

import re

from support.core.paths import repo_root

LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_readme_relative_links_resolve():
    root = repo_root()
    targets = [t for t in LINK.findall((root / "README.md").read_text()) if "://" not in t]
    assert targets, "the README links no file: the pattern is wrong"
    missing = [t for t in targets if not (root / t).exists()]
    assert missing == [], f"README links files that do not exist: {missing}"
