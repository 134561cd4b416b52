"""Finding the machine's Debian mirror in a fake /etc/apt: one-line lists and deb822 files."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.asterisk.mirror import MirrorNotFound, find_debian_mirror, parse_deb822, parse_one_line

# What Debian 12 (and its container images) ship as /etc/apt/sources.list.d/debian.sources.
DEBIAN_12_SOURCES = """\
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""

SECURITY_ONLY_SOURCES = """\
Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
"""


def apt_tree(root: Path, files: dict[str, str]) -> Path:
    """A fake /etc/apt with the given files (paths relative to it)."""
    apt = root / "etc" / "apt"
    (apt / "sources.list.d").mkdir(parents=True)
    for name, text in files.items():
        (apt / name).write_text(text, encoding="utf-8")
    return apt


# ---- one-line sources --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "entries"),
    [
        pytest.param(
            "deb http://deb.debian.org/debian bookworm main contrib\n",
            [("http://deb.debian.org/debian", ["bookworm"])],
            id="plain",
        ),
        pytest.param(
            "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
            "http://mirrors.tuna.tsinghua.edu.cn/debian/ bookworm main\n",
            [("http://mirrors.tuna.tsinghua.edu.cn/debian/", ["bookworm"])],
            id="signed-by",
        ),
        pytest.param(
            "deb [ arch=amd64 signed-by=/k.gpg ] https://mirrors.aliyun.com/debian sid main\n",
            [("https://mirrors.aliyun.com/debian", ["sid"])],
            id="spaced-options",
        ),
        pytest.param(
            "# deb http://commented.example/debian bookworm main\n"
            "deb-src http://deb.debian.org/debian bookworm main\n"
            "deb http://deb.debian.org/debian trixie main # the main archive\n"
            "\n"
            "   \n"
            "deb http://broken.example/debian\n",
            [("http://deb.debian.org/debian", ["trixie"])],
            id="comments-deb-src-short-lines",
        ),
    ],
)
def test_given_one_line_sources_when_parsed_then_uri_and_suite_are_read(
    text: str, entries: list[tuple[str, list[str]]]
) -> None:
    # Components are checked by the mirror tests below; here only URI and suite.
    assert [(uri, suites) for uri, suites, _ in parse_one_line(text)] == entries


@pytest.mark.parametrize(
    ("sources_list", "mirror"),
    [
        ("deb http://deb.debian.org/debian bookworm main\n", "http://deb.debian.org/debian"),
        (
            "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
            "http://mirrors.tuna.tsinghua.edu.cn/debian/ bookworm main\n",
            "http://mirrors.tuna.tsinghua.edu.cn/debian",
        ),
        (
            "deb http://security.debian.org/debian-security bookworm-security main\n"
            "deb http://ftp.cn.debian.org/debian bookworm-updates main\n"
            "deb-src http://src.example/debian bookworm main\n"
            "# deb http://old.example/debian bookworm main\n"
            "deb https://mirrors.ustc.edu.cn/debian stable main\n",
            "https://mirrors.ustc.edu.cn/debian",
        ),
    ],
    ids=["deb.debian.org", "signed-by-trailing-slash", "security-updates-skipped"],
)
def test_given_sources_list_when_finding_mirror_then_main_archive_uri_is_returned(
    tmp_path: Path, sources_list: str, mirror: str
) -> None:
    apt = apt_tree(tmp_path, {"sources.list": sources_list})
    assert find_debian_mirror(apt) == mirror


# ---- deb822 sources ----------------------------------------------------------------------------


def test_given_debian_12_sources_when_parsed_then_both_paragraphs_are_read() -> None:
    assert [(uri, suites) for uri, suites, _ in parse_deb822(DEBIAN_12_SOURCES)] == [
        ("http://deb.debian.org/debian", ["bookworm", "bookworm-updates"]),
        ("http://deb.debian.org/debian-security", ["bookworm-security"]),
    ]


def test_given_debian_12_layout_when_finding_mirror_then_deb_debian_org(tmp_path: Path) -> None:
    apt = apt_tree(
        tmp_path,
        {"sources.list.d/debian.sources": DEBIAN_12_SOURCES},
    )
    assert find_debian_mirror(apt) == "http://deb.debian.org/debian"


def test_given_deb822_with_comments_and_src_when_parsed_then_only_deb_entries_count() -> None:
    text = (
        "# Modified by hand\n"
        "Types: deb-src\n"
        "URIs: http://src.example/debian\n"
        "Suites: bookworm\n"
        "\n"
        "types: deb deb-src\n"
        "uris: http://a.example/debian https://b.example/debian\n"
        "# a comment inside the paragraph\n"
        "suites: trixie\n"
        "Signed-By:\n"
        " -----BEGIN PGP PUBLIC KEY BLOCK-----\n"
        " URIs: http://inside.key.example/debian\n"
        " -----END PGP PUBLIC KEY BLOCK-----\n"
    )
    assert [(uri, suites) for uri, suites, _ in parse_deb822(text)] == [
        ("http://a.example/debian", ["trixie"]),
        ("https://b.example/debian", ["trixie"]),
    ]


def test_given_one_line_and_deb822_files_when_finding_then_sources_list_comes_first(
    tmp_path: Path,
) -> None:
    apt = apt_tree(
        tmp_path,
        {
            "sources.list": "deb http://mirrors.aliyun.com/debian bookworm main\n",
            "sources.list.d/debian.sources": DEBIAN_12_SOURCES,
        },
    )
    assert find_debian_mirror(apt) == "http://mirrors.aliyun.com/debian"


def test_given_files_of_other_kinds_when_finding_then_they_are_not_read(tmp_path: Path) -> None:
    apt = apt_tree(
        tmp_path,
        {
            "sources.list.d/old.list.save": "deb http://saved.example/debian bookworm main\n",
            "sources.list.d/debian.sources.disabled": DEBIAN_12_SOURCES,
            "sources.list.d/zz.sources": DEBIAN_12_SOURCES.replace("deb.debian", "ftp.cn.debian"),
        },
    )
    assert find_debian_mirror(apt) == "http://ftp.cn.debian.org/debian"


# ---- third-party archives ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "third_party",
    [
        pytest.param(
            "deb [signed-by=/usr/share/keyrings/pgdg.gpg] "
            "http://apt.postgresql.org/pub/repos/apt bookworm-pgdg main\n",
            id="postgresql",
        ),
        pytest.param("deb https://packages.sury.org/php/ bookworm main\n", id="sury"),
        pytest.param(
            "deb [arch=amd64] https://deb.nodesource.com/node_20.x nodistro main\n", id="nodesource"
        ),
        pytest.param(
            "deb https://packages.microsoft.com/debian/12/prod bookworm main\n", id="microsoft"
        ),
        pytest.param(
            "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] "
            "https://download.docker.com/linux/debian bookworm stable\n",
            id="docker",
        ),
        pytest.param(
            "deb http://nginx.org/packages/debian bookworm nginx\n",
            id="nginx",
        ),
    ],
)
def test_given_third_party_repo_listed_first_when_finding_then_it_is_ignored(
    tmp_path: Path, third_party: str
) -> None:
    # add-apt-repository names its files archive_uri-..., which sort before debian.sources.
    apt = apt_tree(
        tmp_path,
        {
            "sources.list.d/archive_uri-third-party-bookworm.list": third_party,
            "sources.list.d/debian.sources": DEBIAN_12_SOURCES,
        },
    )
    assert find_debian_mirror(apt) == "http://deb.debian.org/debian"


# ---- no mirror ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({}, id="empty"),
        pytest.param({"sources.list": "# nothing here\n"}, id="comments-only"),
        pytest.param({"sources.list.d/debian.sources": SECURITY_ONLY_SOURCES}, id="security-only"),
        pytest.param(
            {"sources.list": "deb cdrom:[Debian GNU/Linux 12]/ bookworm main\n"}, id="cdrom"
        ),
        pytest.param(
            {"sources.list": "deb-src http://deb.debian.org/debian bookworm main\n"}, id="src-only"
        ),
        pytest.param(
            {"sources.list": "deb http://ports.ubuntu.com/ubuntu-ports noble main\n"}, id="ubuntu"
        ),
    ],
)
def test_given_no_debian_mirror_when_finding_then_error_names_the_override_variable(
    tmp_path: Path, files: dict[str, str]
) -> None:
    apt = apt_tree(tmp_path, files)
    with pytest.raises(MirrorNotFound, match="HOTLINE_DEBIAN_MIRROR") as caught:
        find_debian_mirror(apt)
    assert str(apt) in str(caught.value)


def test_given_no_apt_directory_when_finding_then_mirror_not_found(tmp_path: Path) -> None:
    with pytest.raises(MirrorNotFound, match="HOTLINE_DEBIAN_MIRROR"):
        find_debian_mirror(tmp_path / "missing")


def test_given_disabled_deb822_source_when_finding_then_it_is_skipped(tmp_path: Path) -> None:
    disabled = "Enabled: no\n" + DEBIAN_12_SOURCES.split("\n\n", 1)[0] + "\n"
    apt = apt_tree(
        tmp_path,
        {
            "sources.list.d/a-disabled.sources": disabled.replace("deb.debian", "dead.mirror"),
            "sources.list.d/debian.sources": DEBIAN_12_SOURCES,
        },
    )
    assert find_debian_mirror(apt) == "http://deb.debian.org/debian"
