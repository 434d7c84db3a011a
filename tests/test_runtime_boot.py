"""The boot program, run as cloud-init would run it, from a compiled Plan, against moto.

What is real: the Plan (compiled from a 2-UltraServer GB200 spec with FSx for Lustre), the user data
in its launch template (decoded; node.env and the program taken out of the cloud-config part exactly
as cloud-init's write_files would write them), the program itself (bash), the AWS CLI it calls and
the AWS API answers from moto (DescribeInstances, CreateTags, SSM GetParameter, Auto Scaling
SetInstanceHealth). What is seeded: 36 instances in moto with the tags Auto Scaling gives an
UltraServer group's instances (ultraplan:cluster, ultraplan:pool, ultraplan:nvlink-domain), the SSM
parameters the storage stack writes, and DescribeInstanceTopology's CapacityBlockId per instance
(moto lacks that action; tests/runtime_fixtures.py answers it). What is faked: IMDSv2, /sys and the
node's tools (stubs that log their arguments).
"""
from __future__ import annotations

import base64
import email
import gzip
import os
import shutil
import subprocess

import pytest
import yaml

from conftest import BASE_SPEC  # noqa: F401  (conftest puts tests/ on sys.path)
from planner import compile_plan
from planner.runtime.userdata import decode
from planner.spec.load import parse_spec
from runtime_fixtures import FakeImds, TopologyProxy, install_stubs, moto_server

pytestmark = pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed (pip install awscli)")

CLUSTER = "gb200-pretrain"
REGION = "us-east-1"
BLOCKS = ["cr-0123456789abcdef0", "cr-0123456789abcdef1"]
SPEC = f"""\
name: {CLUSTER}
region: {REGION}
availability_zone: us-east-1-dfw-2a
network: {{vpc_cidr: 10.0.0.0/16, region_zone: use1-az4}}
compute:
  - name: trainers
    ultraserver: u-p6e-gb200x72
    count: 2
    capacity: {{type: capacity-block, reservation_ids: [{', '.join(BLOCKS)}], start: 2026-12-01, days: 14}}
    ami: ami-0123456789abcdef0
storage:
  lustre: {{capacity_gib: 2400, deployment: PERSISTENT_2, throughput_per_tib: 250}}
policies:
  skip: {{lustre-in-gpu-zone: "FSx for Lustre is not confirmed in the Dallas Local Zone"}}
"""
LUSTRE = {"dns-name": "fs-0123456789abcdef0.fsx.us-east-1.amazonaws.com", "mount-name": "abcdef12", "version": "2.15"}


def files_from_user_data(user_data: str) -> dict[str, tuple[str, str]]:
    """path -> (content, permissions) of the cloud-config part's write_files, decoded as cloud-init does."""
    message = email.message_from_bytes(decode(user_data))
    (config,) = [p for p in message.walk() if p.get_content_type() == "text/cloud-config"]
    doc = yaml.safe_load(config.get_payload(decode=True))
    out = {}
    for f in doc["write_files"]:
        content = f["content"]
        if f.get("encoding") == "gz+b64":
            content = gzip.decompress(base64.b64decode(content)).decode()
        out[f["path"]] = (content, f["permissions"])
    return out


@pytest.fixture(scope="module")
def plan():
    return compile_plan(parse_spec(SPEC, "spec.yaml"))


@pytest.fixture(scope="module")
def aws(plan):
    """moto with the 2-UltraServer plan's instances, behind the topology proxy."""
    import boto3

    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with moto_server() as url:
            proxy = TopologyProxy(url)
            ec2 = boto3.client("ec2", endpoint_url=url, region_name=REGION)
            vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
            subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/20")["Subnet"]["SubnetId"]
            domains: dict[str, list[tuple[str, str]]] = {}
            for g, block in enumerate(BLOCKS):
                domain = f"trainers-u{g + 1:04d}"  # the value the Plan's group propagates (checked below)
                tags = [{"Key": "ultraplan:cluster", "Value": CLUSTER}, {"Key": "ultraplan:pool", "Value": "trainers"},
                        {"Key": "ultraplan:nvlink-domain", "Value": domain}]
                run = ec2.run_instances(ImageId="ami-12c6146b", MinCount=18, MaxCount=18, InstanceType="m5.large",
                                        SubnetId=subnet, TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])
                domains[domain] = [(i["InstanceId"], i["PrivateIpAddress"]) for i in run["Instances"]]
                proxy.blocks.update({i: block for i, _ in domains[domain]})
            ssm = boto3.client("ssm", endpoint_url=url, region_name=REGION)
            for name, value in LUSTRE.items():
                ssm.put_parameter(Name=f"/ultraplan/{CLUSTER}/lustre/{name}", Value=value, Type="String")
            yield {"url": url, "proxy": proxy, "ec2": ec2, "domains": domains, "subnet": subnet}
            proxy.close()
    finally:
        for k, v in old.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


@pytest.fixture(scope="module")
def imds():
    server = FakeImds()
    yield server
    server.close()


def node_root(tmp_path, plan, efa_devices: int = 4, pool: str = "trainers"):
    """A node's file system as cloud-init leaves it: the Plan's node.env and program, /sys devices."""
    root = tmp_path / "root"
    lt = plan.by_name()[f"lt-{pool}"].inputs
    for path, (content, mode) in files_from_user_data(lt["userData"]).items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
        target.chmod(int(mode, 8))
    ib = root / "sys/class/infiniband"
    ib.mkdir(parents=True)
    for k in range(efa_devices):
        (ib / f"rdmap{k}s0").mkdir()
    (root / "etc/fstab").write_text("")
    return root


def boot(tmp_path, root, aws, imds, instance, env_extra=None, args=()):
    imds.instance = instance
    log = tmp_path / "tools.log"
    install_stubs(str(tmp_path / "bin"), str(log))
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}", "ULTRAPLAN_ROOT": str(root),
           "ULTRAPLAN_IMDS": imds.url, "AWS_ENDPOINT_URL": aws["proxy"].url,
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", **(env_extra or {})}
    env.pop("AWS_PROFILE", None)
    program = root / "usr/local/sbin/ultraplan-node"
    done = subprocess.run([str(program), *args], env=env, capture_output=True, text=True, timeout=120)
    tools = log.read_text().splitlines() if log.exists() else []
    return done, tools


def tags_of(aws, instance_id):
    reservations = aws["ec2"].describe_instances(InstanceIds=[instance_id])["Reservations"]
    return {t["Key"]: t["Value"] for t in reservations[0]["Instances"][0].get("Tags", [])}


def test_the_plans_groups_tag_instances_with_the_domain_the_seed_uses(plan):
    groups = [r for r in plan.by_name().values() if r.type == "aws:autoscaling/group:Group"]
    tags = [{t["key"]: t for t in g.inputs["tags"]}["ultraplan:nvlink-domain"] for g in groups]
    assert [t["value"] for t in tags] == ["trainers-u0001", "trainers-u0002"]
    assert all(t["propagateAtLaunch"] for t in tags)


def test_node_writes_its_own_ultraservers_18_addresses_and_mounts_lustre(tmp_path, plan, aws, imds):
    me = aws["domains"]["trainers-u0002"][5]
    root = node_root(tmp_path, plan)
    done, tools = boot(tmp_path, root, aws, imds, me)
    assert done.returncode == 0, done.stderr

    imex = (root / "etc/nvidia-imex/nodes_config.cfg").read_text().split()
    own = sorted(ip for _, ip in aws["domains"]["trainers-u0002"])
    other = {ip for _, ip in aws["domains"]["trainers-u0001"]}
    assert len(imex) == 18 and sorted(imex) == own and not other & set(imex)
    assert "systemctl restart nvidia-imex" in tools

    device = f"{LUSTRE['dns-name']}@tcp:/{LUSTRE['mount-name']}"
    assert f"mount -t lustre -o relatime,flock {device} {root}/fsx" in tools
    assert (root / "etc/fstab").read_text().startswith(f"{device} /fsx lustre defaults,relatime,flock,_netdev")
    assert not any(t.startswith("dnf ") for t in tools)  # the image has a client (lfs) already

    tags = tags_of(aws, me[0])
    assert tags["ultraplan:boot"] == "ok"
    assert tags["ultraplan:hostname"] == f"trainers-u0002-{int(tags['ultraplan:slot']):02d}"
    assert f"hostnamectl set-hostname {tags['ultraplan:hostname']}" in tools
    labels = (root / "etc/ultraplan/node-labels").read_text().split()
    assert "ultraplan.io/nvlink-domain=trainers-u0002" in labels


@pytest.mark.slow  # two whole boots (about 25 AWS CLI calls)
def test_two_nodes_of_one_ultraserver_take_different_slots(tmp_path, plan, aws, imds):
    names = set()
    for k in (0, 1):
        me = aws["domains"]["trainers-u0001"][k]
        run_dir = tmp_path / f"node{k}"
        run_dir.mkdir()
        done, _ = boot(run_dir, node_root(run_dir, plan), aws, imds, me)
        assert done.returncode == 0, done.stderr
        names.add(tags_of(aws, me[0])["ultraplan:hostname"])
    assert len(names) == 2 and all(n.startswith("trainers-u0001-") for n in names)


def test_a_node_short_of_efa_devices_is_tagged_and_reported_unhealthy(tmp_path, plan, aws, imds):
    import boto3

    asg = boto3.client("autoscaling", endpoint_url=aws["url"], region_name=REGION)
    aws["ec2"].create_launch_template(LaunchTemplateName="efa-check", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "InstanceType": "m5.large"})
    asg.create_auto_scaling_group(AutoScalingGroupName="asg-efa-check", MinSize=1, MaxSize=1, DesiredCapacity=1,
                                  LaunchTemplate={"LaunchTemplateName": "efa-check"}, VPCZoneIdentifier=aws["subnet"],
                                  Tags=[{"Key": "ultraplan:cluster", "Value": CLUSTER, "PropagateAtLaunch": True}])
    (instance,) = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["asg-efa-check"])["AutoScalingGroups"][0]["Instances"]
    me_id = instance["InstanceId"]
    me_ip = aws["ec2"].describe_instances(InstanceIds=[me_id])["Reservations"][0]["Instances"][0]["PrivateIpAddress"]

    done, tools = boot(tmp_path, node_root(tmp_path, plan, efa_devices=3), aws, imds, (me_id, me_ip))
    assert done.returncode == 1
    assert "EFA: found 3 of the 4 EFA devices the plan gives trainers; reporting unhealthy" in done.stderr
    tags = tags_of(aws, me_id)
    assert tags["ultraplan:efa"] == "found 3 of 4" and tags["ultraplan:boot"] == "failed:efa"
    health = asg.describe_auto_scaling_instances(InstanceIds=[me_id])["AutoScalingInstances"][0]["HealthStatus"]
    assert health.upper() == "UNHEALTHY"
    assert not any(t.startswith(("mount ", "systemctl ")) for t in tools)  # stops before Lustre and IMEX


def test_a_node_whose_ultraserver_stays_short_fails_at_the_deadline(tmp_path, plan, aws, imds):
    me = aws["domains"]["trainers-u0001"][2]
    root = node_root(tmp_path, plan)
    env = root / "etc/ultraplan/node.env"
    env.write_text(env.read_text().replace("PEER_DEADLINE_SECONDS=1800", "PEER_DEADLINE_SECONDS=1")
                   .replace("POLL_SECONDS=10", "POLL_SECONDS=1"))
    straggler = aws["domains"]["trainers-u0001"][17][0]
    aws["proxy"].blocks[straggler] = BLOCKS[1]  # EC2 puts it in the other UltraServer's block
    try:
        done, tools = boot(tmp_path, root, aws, imds, me)
    finally:
        aws["proxy"].blocks[straggler] = BLOCKS[0]
    assert done.returncode == 1
    assert "FAILED (peers): 17 of the 18 instances of UltraServer trainers-u0001 after 1s" in done.stderr
    assert "outside capacity block" in done.stderr
    assert tags_of(aws, me[0])["ultraplan:boot"] == "failed:peers"
    assert not (root / "etc/nvidia-imex/nodes_config.cfg").exists()
    assert "systemctl restart nvidia-imex" not in tools


def test_a_lustre_client_older_than_the_file_system_is_refused(tmp_path, plan, aws, imds):
    me = aws["domains"]["trainers-u0002"][7]
    done, tools = boot(tmp_path, node_root(tmp_path, plan), aws, imds, me, {"LFS_VERSION": "2.12.8"})
    assert done.returncode == 1
    assert "Lustre client 2.12.8 is older than the file system (Lustre 2.15)" in done.stderr
    assert not any(t.startswith("mount ") for t in tools)


def test_the_boot_program_passes_shellcheck():
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck; .ci/run installs it)")
    from planner.runtime import userdata

    path = os.path.join(os.path.dirname(userdata.__file__), "ultraplan-node.sh")
    done = subprocess.run(["shellcheck", "--severity=style", path], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


@pytest.mark.slow  # three runs of the program
def test_imex_refresh_follows_a_replaced_instance_and_is_a_no_op_otherwise(tmp_path, plan, aws, imds):
    """`ultraplan-node imex-refresh` (for a job prolog): the first run writes the config, a second
    changes nothing, and after an instance of the UltraServer is replaced the config has its new
    address instead of the old one."""
    domain = aws["domains"]["trainers-u0002"]
    me = domain[3]
    root = node_root(tmp_path, plan)
    cfg = root / "etc/nvidia-imex/nodes_config.cfg"

    def refresh():
        log = tmp_path / "tools.log"
        log.unlink(missing_ok=True)
        done, tools = boot(tmp_path, root, aws, imds, me, None, ["imex-refresh"])
        assert done.returncode == 0, done.stderr
        return tools

    assert "systemctl restart nvidia-imex" in refresh() and sorted(cfg.read_text().split()) == sorted(ip for _, ip in domain)
    assert "systemctl restart nvidia-imex" not in refresh()  # nothing changed: IMEX keeps running

    old_id, old_ip = domain[10]
    aws["ec2"].terminate_instances(InstanceIds=[old_id])
    tags = [{"Key": k, "Value": v} for k, v in tags_of(aws, old_id).items() if k.startswith("ultraplan:")
            and k in ("ultraplan:cluster", "ultraplan:pool", "ultraplan:nvlink-domain")]
    (new,) = aws["ec2"].run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="m5.large",
                                      SubnetId=aws["subnet"], TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])["Instances"]
    aws["proxy"].blocks[new["InstanceId"]] = BLOCKS[1]
    domain[10] = (new["InstanceId"], new["PrivateIpAddress"])  # the fixture's view of the UltraServer, for later tests
    assert "systemctl restart nvidia-imex" in refresh()
    addresses = cfg.read_text().split()
    assert new["PrivateIpAddress"] in addresses and old_ip not in addresses and len(addresses) == 18
