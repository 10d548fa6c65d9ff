"""A Docker engine for the `docker` tests, and the images they need when no registry answers.

``Engine.start`` starts a private ``dockerd`` (Debian's docker.io) that leaves host networking
alone: no iptables rules, no IP forwarding, no default bridge; compose's project networks still
work and published ports go through docker-proxy. Its data root is cached outside the repository
(images survive between runs), its socket and exec root are temporary, and one lock file keeps
two test sessions off the same data root. Without root or dockerd, an engine that already answers
(DOCKER_HOST or the default socket) is used. No engine at all is a failure with the install hint.

``ensure_base`` makes a Dockerfile's ``FROM`` image available: present, pulled, or, when the
registry cannot be reached, built locally with debootstrap (Debian bookworm + Python 3.11) and
``docker import``, trusting the host's CA bundle so pip works behind a TLS-intercepting proxy.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

INSTALL_HINT = (
    "run `make test` (its setup installs the engine: `make docker-engine`, i.e. "
    "`apt-get install docker.io debootstrap`), or install Docker Engine and start it"
)
CACHE = Path(
    os.environ.get("STACKS_DOCKER_CACHE")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "stacks" / "docker"
)
DAEMON_FLAGS = ("--iptables=false", "--ip-forward=false", "--ip-masq=false", "--bridge=none")
START_TIMEOUT = 60.0
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
DEBIAN_PACKAGES = "python3,python3-venv,python3-pip,python-is-python3,ca-certificates"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
BASE_ENV = {
    "LANG": "C.UTF-8",
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "SSL_CERT_FILE": str(HOST_CA_BUNDLE),
    "PIP_CERT": str(HOST_CA_BUNDLE),
    "REQUESTS_CA_BUNDLE": str(HOST_CA_BUNDLE),
}


class EngineError(Exception):
    """The engine could not start or a docker command failed; the message says what to do."""


@dataclass
class Engine:
    """The docker CLI pointed at one engine; ``daemon`` is set when this session started it."""

    env: dict[str, str]
    daemon: subprocess.Popen[bytes] | None = None
    workdir: Path | None = None
    notes: list[str] = field(default_factory=list)

    def docker(
        self, *args: str, timeout: float = 600, check: bool = True, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``docker ARGS`` against this engine; a failure raises with its output."""
        return self._run(["docker", *args], timeout=timeout, check=check, input=input)

    def compose(
        self, directory: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 900
    ) -> subprocess.CompletedProcess[str]:
        from deploy.compose.lint import compose_binary

        # Only what the test sets chooses profiles, project and files: never the caller's shell.
        clean = {
            k: v for k, v in self.env.items() if k not in ("COMPOSE_PROFILES", "COMPOSE_PROJECT_NAME", "COMPOSE_FILE")
        }
        return self._run(
            [compose_binary(), *args], cwd=directory, base_env=clean, extra_env=env, timeout=timeout, check=False
        )

    def _run(
        self,
        argv: Sequence[str],
        *,
        timeout: float,
        check: bool,
        input: str | None = None,
        cwd: Path | None = None,
        base_env: dict[str, str] | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        run = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
            cwd=cwd,
            env={**(self.env if base_env is None else base_env), **(extra_env or {})},
        )
        if check and run.returncode != 0:
            raise EngineError(
                f"`{' '.join(argv)}` failed ({run.returncode}):\n{run.stdout[-3000:]}{run.stderr[-3000:]}"
            )
        return run

    def answers(self) -> bool:
        try:
            return self.docker("version", "--format", "{{.Server.Version}}", timeout=20, check=False).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False

    def has_image(self, ref: str) -> bool:
        return self.docker("image", "inspect", ref, check=False, timeout=30).returncode == 0

    def stop(self) -> None:
        """Stop the daemon this session started, by its pid, and remove its temporary exec root.

        No image prune: the untagged layers of a multi-stage build's first stage are the build
        cache (the app's pip install), and pruning them makes the next run cold again."""
        if self.daemon is not None:
            _stop(self.daemon)
            self.daemon = None
        if self.workdir is not None:
            _unmount_under(self.workdir)
            shutil.rmtree(self.workdir, ignore_errors=True)


def _unmount_under(directory: Path) -> None:
    """dockerd leaves its default network namespace bind-mounted in the exec root: unmount it."""
    prefix = str(directory) + "/"
    for line in Path("/proc/mounts").read_text().splitlines():
        target = line.split()[1]
        if target.startswith(prefix):
            subprocess.run(["umount", "--lazy", target], capture_output=True, check=False)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()  # dockerd stops its containers and its containerd, then exits
        try:
            proc.wait(timeout=45)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@contextmanager
def session_lock() -> Iterator[None]:
    """One test session at a time on the cached data root (other worktrees, xdist workers): a second
    session waits until the first has stopped its engine (the lock goes with the closed file)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"docker tests: waiting for the session that holds {CACHE / 'lock'}", file=sys.stderr)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def start() -> Engine:
    """A private daemon when this user can run one, else the engine the environment points at."""
    dockerd = shutil.which("dockerd")
    if dockerd and os.geteuid() == 0:
        return _start_private(dockerd)
    ambient = Engine(env=dict(os.environ))
    if ambient.answers():
        ambient.notes.append("engine: the one DOCKER_HOST / the default socket points at")
        return ambient
    missing = "dockerd is not installed" if not dockerd else "starting dockerd needs root, and no engine answers"
    raise EngineError(f"no Docker engine: {missing}; {INSTALL_HINT}")


def _stop_stale_daemon(data_root: Path) -> None:
    """A daemon an interrupted session left on our data root (its pid file says which) is stopped."""
    pidfile = CACHE / "dockerd.pid"
    try:
        pid = int(pidfile.read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return
    if cmdline and cmdline[0].endswith(b"dockerd") and str(data_root).encode() in cmdline:
        os.kill(pid, 15)
        for _ in range(90):
            if not Path(f"/proc/{pid}").exists():
                break
            time.sleep(0.5)


def _start_private(dockerd: str) -> Engine:
    data_root = CACHE / "data-root"
    _stop_stale_daemon(data_root)
    workdir = Path(tempfile.mkdtemp(prefix="stacks-dockerd-"))
    socket = workdir / "docker.sock"
    log: IO[bytes] = open(workdir / "dockerd.log", "wb")  # noqa: SIM115 - the daemon writes it for its lifetime
    argv = [dockerd, *DAEMON_FLAGS, "--data-root", str(data_root), "--exec-root", str(workdir / "exec")]
    argv += ["--pidfile", str(workdir / "docker.pid"), "-H", f"unix://{socket}"]
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    (CACHE / "dockerd.pid").write_text(str(proc.pid))
    env = {**os.environ, "DOCKER_HOST": f"unix://{socket}", "DOCKER_CONFIG": str(workdir / "cli")}
    engine = Engine(env=env, daemon=proc, workdir=workdir)
    engine.notes.append(f"engine: private dockerd {' '.join(DAEMON_FLAGS)} (pid {proc.pid}, data root {data_root})")
    deadline = time.monotonic() + START_TIMEOUT
    while not engine.answers():
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = (workdir / "dockerd.log").read_text(errors="replace")[-2000:]
            engine.stop()
            raise EngineError(f"dockerd did not start:\n{tail}\n{INSTALL_HINT}")
        time.sleep(0.3)
    return engine


# ---------------------------------------------------------------- base images


def from_images(dockerfile: Path) -> list[str]:
    """The external images a Dockerfile builds FROM (stage names excluded), in order."""
    images: list[str] = []
    stages: set[str] = set()
    for match in re.finditer(r"(?im)^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?", dockerfile.read_text()):
        ref, stage = match.group(1), match.group(2)
        if ref.lower() not in stages and ref not in images:
            images.append(ref)
        if stage:
            stages.add(stage.lower())
    return images


def ensure_base(engine: Engine, ref: str) -> str:
    """Make ``ref`` available; returns how: 'cached', 'pulled' or 'stand-in built from Debian packages'."""
    if engine.has_image(ref):
        return "cached"
    try:
        if engine.docker("pull", "-q", ref, check=False, timeout=45).returncode == 0:
            return "pulled"
    except subprocess.TimeoutExpired:
        pass
    _debootstrap_image(engine, ref)
    return "stand-in built from Debian packages (debootstrap + docker import)"


def debian_mirror() -> str:
    """The Debian mirror apt on this host uses (deb822 .sources or sources.list), else deb.debian.org."""
    for path in [*sorted(Path("/etc/apt/sources.list.d").glob("*.sources")), Path("/etc/apt/sources.list")]:
        text = path.read_text() if path.is_file() else ""
        for uri in re.findall(r"(?m)^URIs:\s*(\S+)", text) + re.findall(r"(?m)^deb\s+(?:\[[^]]*\]\s+)?(\S+)", text):
            if uri.rstrip("/").endswith("/debian"):
                return str(uri)
    return DEFAULT_MIRROR


def _debootstrap_image(engine: Engine, ref: str) -> None:
    debootstrap = shutil.which("debootstrap")
    if debootstrap is None or os.geteuid() != 0:
        raise EngineError(f"cannot pull {ref} and cannot build a stand-in (needs root and debootstrap): {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="stacks-rootfs-", dir=CACHE) as tmp:
        rootfs = Path(tmp) / "rootfs"
        argv = [debootstrap, "--variant=minbase", f"--include={DEBIAN_PACKAGES}", "bookworm", str(rootfs)]
        run = subprocess.run([*argv, debian_mirror()], capture_output=True, text=True, timeout=900)
        if run.returncode != 0:
            raise EngineError(f"debootstrap failed for {ref}:\n{run.stdout[-3000:]}{run.stderr[-2000:]}")
        _trim_rootfs(rootfs)
        changes = [f"ENV {key}={value}" for key, value in BASE_ENV.items()] + ['CMD ["python3"]']
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(
            ["docker", "import", *(f"--change={c}" for c in changes), "-", ref],
            stdin=tar.stdout,
            capture_output=True,
            text=True,
            env=engine.env,
            timeout=600,
        )
        tar.wait()
        if imported.returncode != 0:
            raise EngineError(f"docker import of the {ref} stand-in failed: {imported.stderr}")


def _trim_rootfs(rootfs: Path) -> None:
    """Drop the package cache and trust the host's CA bundle (it holds any TLS-intercepting proxy's CA)."""
    for deb in (rootfs / "var/cache/apt/archives").glob("*.deb"):
        deb.unlink()
    shutil.rmtree(rootfs / "var/lib/apt/lists", ignore_errors=True)
    (rootfs / "var/lib/apt/lists/partial").mkdir(parents=True)
    if HOST_CA_BUNDLE.is_file():
        target = rootfs / str(HOST_CA_BUNDLE).lstrip("/")
        target.unlink(missing_ok=True)
        shutil.copyfile(HOST_CA_BUNDLE, target)
