"""End to end: `python -m services run` on the embedded default, driven over HTTP."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.e2e


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def get(url: str, token: str | None = None):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_for(check, timeout: float):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("not reached in time")
        time.sleep(0.2)


@pytest.fixture
def running_system(tmp_path):
    catalogue, enrolment, notifications = free_ports(3)
    env = {**os.environ, "DATA_DIR": str(tmp_path), "CATALOGUE_PORT": str(catalogue),
           "ENROLMENT_PORT": str(enrolment), "NOTIFICATIONS_PORT": str(notifications), "WEB_CONCURRENCY": "1"}
    for name in ("AMQP_URL", "CATALOGUE_DATABASE_URL", "ENROLMENT_DATABASE_URL", "NOTIFICATIONS_DATABASE_URL"):
        env.pop(name, None)
    log = open(tmp_path / "system.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "services", "run"], env=env, stdout=subprocess.PIPE,
                               stderr=log, text=True)
    banner = []
    try:
        for line in process.stdout:
            banner.append(line)
            if "Press Ctrl-C to stop." in line:
                break
        assert process.poll() is None, (tmp_path / "system.log").read_text()[-3000:]
        yield {"catalogue": f"http://127.0.0.1:{catalogue}", "enrolment": f"http://127.0.0.1:{enrolment}",
               "notifications": f"http://127.0.0.1:{notifications}", "banner": "".join(banner),
               "process": process, "env": env}
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
        log.close()


def test_the_whole_system_runs_and_catalogue_events_reach_enrolment(running_system):
    system = running_system
    assert "services token" in system["banner"]
    for service in ("catalogue", "enrolment", "notifications"):
        assert get(f"{system[service]}/health/ready")[0] == 200

    status, courses = get(f"{system['catalogue']}/api/v1/courses?per_page=100")
    assert status == 200 and len(courses) == 8
    _, offerings = get(f"{system['catalogue']}/api/v1/courses/{courses[0]['id']}/offerings")
    offering = offerings[0]

    # The offering reached enrolment only through catalogue.offering.scheduled on the embedded broker.
    status, seats = wait_for(lambda: (answer := get(f"{system['enrolment']}/api/v1/offerings/"
                                                    f"{offering['id']}/seats"))[0] == 200 and answer, 30)
    assert seats["capacity"] == offering["capacity"] and seats["available"] == offering["capacity"]

    token = subprocess.run([sys.executable, "-m", "services", "token", "--role", "student",
                            "--institution", "SSMU"], env=system["env"], capture_output=True, text=True,
                           check=True).stdout.strip()
    status, preferences = get(f"{system['notifications']}/api/v1/preferences/me", token)
    assert status == 200 and preferences["locale"] == "ru"


def test_ctrl_c_stops_every_process_cleanly(running_system):
    process = running_system["process"]
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{running_system['catalogue']}/health/live", timeout=2)


def test_a_killed_launcher_takes_its_processes_with_it(running_system):
    launcher = running_system["process"]
    children = [int(pid) for pid in
                open(f"/proc/{launcher.pid}/task/{launcher.pid}/children").read().split()]
    assert len(children) == 9

    launcher.kill()
    launcher.wait(timeout=10)

    def all_gone():
        alive = []
        for pid in children:
            try:
                os.kill(pid, 0)
                alive.append(pid)
            except ProcessLookupError:
                pass
        return not alive

    wait_for(all_gone, 30)
