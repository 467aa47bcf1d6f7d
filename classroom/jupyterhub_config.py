"""JupyterHub for a genlab class on one server: one Unix user per student, their Jupyter servers as
local processes, genlab's system install shared by all (scripts/classroom.py install).

Start it as root from the Python environment the install registered the kernel in:
    GENLAB_PREFIX=/opt/genlab ENV/bin/jupyterhub -f classroom/jupyterhub_config.py
Students log in with their system password (PAM); each server starts in ~/genlab, where the
notebooks are copied on its first start (a student's own copy is never replaced).
bench/classroom.py runs this file for real with a dummy authenticator, on 127.0.0.1 only.

Environment: GENLAB_PREFIX (the install, default /opt/genlab), GENLAB_HUB_IP (default 127.0.0.1:
put a TLS proxy in front for a class), GENLAB_HUB_PORT (8000), GENLAB_HUB_STATE (the hub's
database, cookie secret and pid file; default /var/lib/genlab-hub), GENLAB_HUB_PROXY (the
configurable-http-proxy command, default the one on PATH), GENLAB_HUB_AUTHENTICATOR (default pam).
"""
import os
import pathlib
import pwd
import sys

c = get_config()  # noqa: F821  (JupyterHub's config loader provides it)

prefix = pathlib.Path(os.environ.get("GENLAB_PREFIX", "/opt/genlab"))
state = pathlib.Path(os.environ.get("GENLAB_HUB_STATE", "/var/lib/genlab-hub"))
state.mkdir(parents=True, exist_ok=True)

c.JupyterHub.ip = os.environ.get("GENLAB_HUB_IP", "127.0.0.1")
c.JupyterHub.port = int(os.environ.get("GENLAB_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
if os.environ.get("GENLAB_HUB_PROXY"):
    c.ConfigurableHTTPProxy.command = [os.environ["GENLAB_HUB_PROXY"]]

c.JupyterHub.authenticator_class = os.environ.get("GENLAB_HUB_AUTHENTICATOR", "pam")
c.Authenticator.allow_all = True  # every user the authenticator accepts (PAM: every system user)

# One single-user server per student, as that Unix user, from this Python environment.
c.Spawner.cmd = [str(pathlib.Path(sys.prefix) / "bin" / "jupyterhub-singleuser")]
c.Spawner.notebook_dir = "~/genlab"
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120


def copy_notebooks(spawner):
    """The install's notebooks into the student's ~/genlab, owned by them; theirs are kept."""
    sys.path.insert(0, str(prefix / "scripts"))
    import classroom

    user = pwd.getpwnam(spawner.user.name)
    dest = pathlib.Path(user.pw_dir) / "genlab"
    for path in classroom.copy_notebooks(dest):
        os.chown(path, user.pw_uid, user.pw_gid)


c.Spawner.pre_spawn_hook = copy_notebooks
