#!/bin/bash
# ultraplan-node: what a cluster node does at boot, from its Plan (docs/runtime.md).
#
# Reads /etc/ultraplan/node.env (written by the launch template's user data, from the Plan), then:
#   1. EFA: counts the instance's EFA devices against the Plan's; short, it tags itself, logs and
#      reports itself unhealthy to its Auto Scaling group (jobs never fall back to TCP).
#   2. Lustre: reads the file system's DNS name, mount name and Lustre version from the SSM parameters
#      the storage stack wrote, installs the Lustre client if the image has none, refuses a client
#      older than the file system, mounts it and adds the /etc/fstab line (FSx for Lustre UG,
#      "Mounting Amazon FSx file systems").
#   3. Name: finds its UltraServer's instances (the group's ultraplan:nvlink-domain tag, checked
#      against DescribeInstanceTopology's CapacityBlockId, which "identifies instances within the
#      UltraServer domain"), waits for all of them until a deadline, takes a slot, and sets the
#      hostname the scheduler topology names (`ultraplan runtime`).
#   4. IMEX (NVIDIA UltraServers): writes /etc/nvidia-imex/nodes_config.cfg with the addresses of its
#      own UltraServer only (one IMEX domain per UltraServer) and starts nvidia-imex.
# Every failure is a log line, an `ultraplan:boot` tag on the instance and a non-zero exit.
# `ultraplan-node imex-refresh` rewrites the IMEX config after an instance of the UltraServer was
# replaced (for a scheduler's job prolog).
#
# Test seams: ULTRAPLAN_ROOT prefixes every local path, ULTRAPLAN_IMDS is the metadata endpoint, and
# the AWS CLI honours AWS_ENDPOINT_URL.
set -Eeuo pipefail

ROOT="${ULTRAPLAN_ROOT:-}"
IMDS="${ULTRAPLAN_IMDS:-http://169.254.169.254}"
CONFIG="${ULTRAPLAN_CONFIG:-$ROOT/etc/ultraplan/node.env}"
STATE="$ROOT/etc/ultraplan"

# Defaults; node.env sets the Plan's values.
CLUSTER="" REGION="" POOL="" KIND="instance"
EFA_EXPECTED=0 DOMAIN_SIZE=0 IMEX=0
PEER_DEADLINE_SECONDS=1800 IMEX_DEADLINE_SECONDS=300 POLL_SECONDS=10
LUSTRE_PARAMETERS="" LUSTRE_MOUNT_POINT="/fsx"
# shellcheck source=/dev/null
. "$CONFIG"

export AWS_DEFAULT_REGION="$REGION" AWS_PAGER=""
ME="" MY_IP="" TOKEN="" DOMAIN="" PEERS="" SLOT="" COMMAND="${1:-boot}"

log() { printf '%s ultraplan-node: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

imds() {
  if [ -z "$TOKEN" ]; then  # IMDSv2: the launch template requires tokens
    TOKEN=$(curl -fsS --retry 5 --retry-connrefused -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 21600" "$IMDS/latest/api/token")
  fi
  curl -fsS --retry 5 --retry-connrefused -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/latest/meta-data/$1"
}

tag_self() {  # tag_self KEY VALUE [KEY VALUE...]: best effort, a failed tag must not hide the real failure
  local tags=()
  while [ "$#" -ge 2 ]; do
    tags+=("Key=$1,Value=$2")
    shift 2
  done
  aws ec2 create-tags --resources "$ME" --tags "${tags[@]}" >/dev/null || log "could not tag $ME: ${tags[*]}"
}

fail() {  # fail REASON MESSAGE...
  local reason=$1
  shift
  log "FAILED ($reason): $*"
  [ "$COMMAND" != boot ] || tag_self ultraplan:boot "failed:$reason"
  exit 1
}

unhealthy() {  # the group replaces the instance: better than a node that trains over TCP
  aws autoscaling set-instance-health --instance-id "$ME" --health-status Unhealthy \
    --no-should-respect-grace-period || log "could not report $ME unhealthy to its Auto Scaling group"
}

check_efa() {
  local found=0 dev
  [ "$EFA_EXPECTED" -gt 0 ] || return 0
  for dev in "$ROOT"/sys/class/infiniband/*; do
    [ -e "$dev" ] && found=$((found + 1))
  done
  if [ "$found" -lt "$EFA_EXPECTED" ]; then
    tag_self ultraplan:efa "found $found of $EFA_EXPECTED"
    log "EFA: found $found of the $EFA_EXPECTED EFA devices the plan gives $POOL; reporting unhealthy"
    unhealthy
    fail efa "found $found of $EFA_EXPECTED EFA devices"
  fi
  log "EFA: $found of $EFA_EXPECTED devices"
}

version_at_least() {  # version_at_least HAVE NEED: true when HAVE >= NEED (dotted numbers)
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]
}

mount_lustre() {
  local facts dns name version have line
  [ -n "$LUSTRE_PARAMETERS" ] || return 0
  facts=$(aws ssm get-parameters --names "$LUSTRE_PARAMETERS/dns-name" "$LUSTRE_PARAMETERS/mount-name" \
    "$LUSTRE_PARAMETERS/version" --query 'Parameters[].[Name,Value]' --output text) ||
    fail lustre "cannot read the parameters under $LUSTRE_PARAMETERS"
  dns=$(awk -v n="$LUSTRE_PARAMETERS/dns-name" '$1 == n {print $2}' <<<"$facts")
  name=$(awk -v n="$LUSTRE_PARAMETERS/mount-name" '$1 == n {print $2}' <<<"$facts")
  version=$(awk -v n="$LUSTRE_PARAMETERS/version" '$1 == n {print $2}' <<<"$facts")
  if [ -z "$dns" ] || [ -z "$name" ] || [ -z "$version" ]; then
    fail lustre "missing parameters under $LUSTRE_PARAMETERS (dns-name, mount-name, version); is the storage stack up?"
  fi
  if ! command -v lfs >/dev/null; then  # AL2023: the lustre-client package (FSx for Lustre UG, "Installing the Lustre client")
    dnf install -y lustre-client >&2 || fail lustre "cannot install the Lustre client"
  fi
  have=$(lfs --version | awk '{print $2}')
  if ! version_at_least "$have" "$version"; then
    fail lustre "Lustre client $have is older than the file system (Lustre $version)"
  fi
  mkdir -p "$ROOT$LUSTRE_MOUNT_POINT"
  line="$dns@tcp:/$name $LUSTRE_MOUNT_POINT lustre defaults,relatime,flock,_netdev,x-systemd.automount,x-systemd.requires=network.service 0 0"
  grep -qsF "$line" "$ROOT/etc/fstab" || printf '%s\n' "$line" >>"$ROOT/etc/fstab"
  mount -t lustre -o relatime,flock "$dns@tcp:/$name" "$ROOT$LUSTRE_MOUNT_POINT" ||
    fail lustre "cannot mount $dns@tcp:/$name"
  log "Lustre: $dns@tcp:/$name on $LUSTRE_MOUNT_POINT (client $have)"
}

my_tag() {
  aws ec2 describe-instances --instance-ids "$ME" \
    --query "Reservations[0].Instances[0].Tags[?Key=='$1'].Value | [0]" --output text
}

capacity_blocks() {  # capacity_blocks ID...: "id capacity-block-id" lines (None where AWS gives none)
  local ids=("$@") i
  for ((i = 0; i < ${#ids[@]}; i += 100)); do  # DescribeInstanceTopology takes at most 100 ids
    aws ec2 describe-instance-topology --instance-ids "${ids[@]:i:100}" \
      --query 'Instances[].[InstanceId,CapacityBlockId]' --output text
  done
}

# Sets PEERS ("id ip slot" lines of the instances of this node's UltraServer) once all DOMAIN_SIZE
# are there, or fails at the deadline. Candidates carry the group's ultraplan:nvlink-domain tag;
# where DescribeInstanceTopology gives a CapacityBlockId, only those in this node's block count.
find_peers() {
  local deadline=$((SECONDS + PEER_DEADLINE_SECONDS)) candidates ids mine blocks n=0
  while :; do
    candidates=$(aws ec2 describe-instances \
      --filters "Name=tag:ultraplan:cluster,Values=$CLUSTER" "Name=tag:ultraplan:nvlink-domain,Values=$DOMAIN" \
      "Name=instance-state-name,Values=pending,running" \
      --query "Reservations[].Instances[].[InstanceId,PrivateIpAddress,Tags[?Key=='ultraplan:slot'].Value | [0]]" \
      --output text | awk '$2 != "None"' | sort)  # a pending instance may have no address yet
    mapfile -t ids < <(awk '{print $1}' <<<"$candidates")
    if ! blocks=$(capacity_blocks "${ids[@]}"); then
      log "peers: DescribeInstanceTopology failed; going by the group's ultraplan:nvlink-domain tag alone"
      blocks=""
    fi
    mine=$(awk -v me="$ME" '$1 == me {print $2}' <<<"$blocks")
    if [ -n "$mine" ] && [ "$mine" != "None" ]; then
      # "None": EC2 gave no CapacityBlockId for that instance; the group's tag stands for it then.
      if awk -v cb="$mine" '$2 != cb && $2 != "None" {bad = 1} END {exit !bad}' <<<"$blocks"; then
        log "peers: the group $DOMAIN has instances outside capacity block $mine (not one UltraServer): keeping those in $mine"
        tag_self ultraplan:boot "warning:group-spans-ultraservers"
      fi
      PEERS=$(awk -v cb="$mine" 'NR == FNR {if ($2 == cb || $2 == "None") keep[$1] = 1; next} keep[$1]' <(printf '%s\n' "$blocks") <(printf '%s\n' "$candidates"))
    else
      PEERS=$candidates
    fi
    n=$(grep -c . <<<"$PEERS" || true)
    if [ "$n" -eq "$DOMAIN_SIZE" ]; then
      log "peers: all $n instances of UltraServer $DOMAIN (capacity block ${mine:-unknown})"
      return 0
    fi
    if [ "$n" -gt "$DOMAIN_SIZE" ]; then
      fail peers "$n instances in UltraServer $DOMAIN, more than its $DOMAIN_SIZE"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      fail peers "$n of the $DOMAIN_SIZE instances of UltraServer $DOMAIN after ${PEER_DEADLINE_SECONDS}s"
    fi
    log "peers: $n of $DOMAIN_SIZE instances of UltraServer $DOMAIN; waiting"
    sleep "$POLL_SECONDS"
  done
}

# This node's slot in its UltraServer, 1..DOMAIN_SIZE, kept in the ultraplan:slot tag: slots that
# running peers hold stay theirs; the free ones go to the untagged instances in instance-id order, so
# every node computes the same answer, and a replaced instance takes the slot its predecessor left.
take_slot() {
  local held free
  held=$(awk '$3 != "None" {print $3 + 0}' <<<"$PEERS" | sort -n)
  SLOT=$(awk -v me="$ME" '$1 == me && $3 != "None" {print $3 + 0}' <<<"$PEERS")
  if [ -z "$SLOT" ]; then
    free=$(seq 1 "$DOMAIN_SIZE" | grep -vxF -f <(printf '%s\n' "$held" | grep .) || true)
    SLOT=$(awk -v me="$ME" '$3 == "None" {n++; if ($1 == me) print n}' <<<"$PEERS")
    SLOT=$(sed -n "${SLOT}p" <<<"$free")
    [ -n "$SLOT" ] || fail slot "no free slot in UltraServer $DOMAIN"
  fi
}

set_hostname() {  # set_hostname NAME [TAG VALUE...]: the name, and tags that go with it
  local name=$1
  shift
  printf '%s\n' "$name" >"$STATE/hostname"
  hostnamectl set-hostname "$name" || fail hostname "cannot set the hostname $name"
  tag_self ultraplan:hostname "$name" "$@"
  log "hostname: $name"
}

write_labels() {  # the node labels the Kueue Topology of `ultraplan runtime` names
  {
    printf 'ultraplan.io/cluster=%s\n' "$CLUSTER"
    printf 'ultraplan.io/pool=%s\n' "$POOL"
    [ "$KIND" != ultraserver ] || printf 'ultraplan.io/nvlink-domain=%s\n' "$DOMAIN"
  } >"$STATE/node-labels"
}

IMEX_CONFIG="$ROOT/etc/nvidia-imex/nodes_config.cfg"

imex_addresses() {  # one IMEX domain per UltraServer; every node lists it in the same order
  awk '{print $2}' <<<"$PEERS" | sort -t . -k1,1n -k2,2n -k3,3n -k4,4n
}

start_imex() {
  local cfg="$IMEX_CONFIG" deadline=$((SECONDS + IMEX_DEADLINE_SECONDS)) status
  mkdir -p "$(dirname "$cfg")"
  imex_addresses >"$cfg"
  log "IMEX: $(grep -c . "$cfg") addresses of UltraServer $DOMAIN in $cfg"
  systemctl enable nvidia-imex >&2 || fail imex "cannot enable nvidia-imex"
  systemctl restart nvidia-imex >&2 || fail imex "cannot start nvidia-imex"
  until status=$(nvidia-imex-ctl -q 2>/dev/null) && [ "$status" = READY ]; do
    [ "$SECONDS" -lt "$deadline" ] || fail imex "nvidia-imex not READY after ${IMEX_DEADLINE_SECONDS}s (${status:-no answer})"
    sleep "$POLL_SECONDS"
  done
  log "IMEX: READY"
}

my_domain() {
  DOMAIN=$(my_tag ultraplan:nvlink-domain)
  if [ -z "$DOMAIN" ] || [ "$DOMAIN" = None ]; then
    fail peers "no ultraplan:nvlink-domain tag on $ME"
  fi
}

# `ultraplan-node imex-refresh`: after an instance of this UltraServer was replaced (a new address),
# rewrite the IMEX config and restart nvidia-imex; a no-op while nothing changed. Meant for a job
# prolog (as the AWS PCS UltraServer prolog reconfigures IMEX per job); one pass, no waiting: an
# UltraServer that is not whole is a failure (exit 1), so the scheduler does not start the job.
imex_refresh() {
  [ "$IMEX" = 1 ] || fail imex "pool $POOL has no IMEX (not an NVIDIA UltraServer pool)"
  my_domain
  PEER_DEADLINE_SECONDS=0
  find_peers
  if [ -f "$IMEX_CONFIG" ] && [ "$(imex_addresses)" = "$(cat "$IMEX_CONFIG")" ]; then
    log "IMEX: UltraServer $DOMAIN unchanged"
    return 0
  fi
  start_imex
}

main() {
  trap 'fail internal "line $LINENO: $BASH_COMMAND"' ERR
  mkdir -p "$STATE"
  ME=$(imds instance-id)
  MY_IP=$(imds local-ipv4)
  log "$COMMAND: instance $ME ($MY_IP), pool $POOL of cluster $CLUSTER"
  case "$COMMAND" in
    boot) ;;
    imex-refresh)
      imex_refresh
      return 0
      ;;
    *) fail usage "unknown command $COMMAND (boot, imex-refresh)" ;;
  esac
  check_efa
  mount_lustre
  if [ "$KIND" = ultraserver ]; then
    my_domain
    find_peers
    take_slot
    set_hostname "$(printf '%s-%02d' "$DOMAIN" "$SLOT")" ultraplan:slot "$SLOT"
    write_labels
    [ "$IMEX" != 1 ] || start_imex
  else
    set_hostname "$POOL-$ME"
    write_labels
  fi
  tag_self ultraplan:boot ok
  log "done"
}

main "$@"
