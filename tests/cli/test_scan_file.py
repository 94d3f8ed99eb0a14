"""``tokenradar scan --file``: a byte-order mark is not part of the first address,
and every invalid line is reported at once (the first 20, then how many more)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tokenradar.cli.scan import read_tokens
from tokenradar.domain import TokenRef

from .run import cli_env, command, tokenradar_run

SOL = "So11111111111111111111111111111111111111112"
EVM = "base:0x" + "ab" * 20


def test_a_byte_order_mark_before_the_first_address_is_not_part_of_it(tmp_path: Path) -> None:
    listing = tmp_path / "tokens.txt"
    listing.write_text(f"{SOL}\n{EVM}\n", encoding="utf-8-sig")  # as Notepad saves it
    assert listing.read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_tokens([], listing) == [TokenRef.parse(SOL), TokenRef.parse(EVM)]


def test_a_bom_file_and_a_bom_on_stdin_get_as_far_as_the_real_bad_line(tmp_path: Path) -> None:
    listing = tmp_path / "tokens.txt"
    listing.write_text(f"{SOL}\nnot-a-token\n", encoding="utf-8-sig")
    done = tokenradar_run("scan", "--file", str(listing), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert f"{listing}:2: 'not-a-token'" in done.stderr
    assert f"{listing}:1:" not in done.stderr  # the first line, after its BOM, is valid

    piped = subprocess.run(
        command("scan", "--file", "-"),
        input=listing.read_bytes(),
        cwd=tmp_path,
        capture_output=True,
        env=cli_env(),
        timeout=120,
        check=False,
    )
    stderr = piped.stderr.decode()
    assert piped.returncode == 2, stderr
    assert "-:2: 'not-a-token'" in stderr
    assert "-:1:" not in stderr


def test_every_invalid_line_is_reported_with_its_number_up_to_twenty(tmp_path: Path) -> None:
    listing = tmp_path / "tokens.txt"
    lines = [SOL if n % 2 else f"bad-{n}" for n in range(50)]  # 25 bad, on even lines
    listing.write_text("\n".join(lines) + "\n")
    done = tokenradar_run("scan", "--file", str(listing), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    said = done.stderr.strip().splitlines()
    assert said[0] == f"error: {listing}: 25 invalid addresses"
    named = [line.strip() for line in said[1:-1]]
    assert len(named) == 20
    for k, line in enumerate(named):
        assert line.startswith(f"{listing}:{2 * k + 1}: 'bad-{2 * k}'"), line
    assert said[-1].strip() == "… and 5 more"


def test_one_invalid_line_is_one_line(tmp_path: Path) -> None:
    listing = tmp_path / "tokens.txt"
    listing.write_text(f"{SOL}\n\nsolana:nope\n")
    done = tokenradar_run("scan", "--file", str(listing), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"error: {listing}:3: ")
    assert "'nope'" in line
