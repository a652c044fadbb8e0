# Sourced by the capture scripts: three_namespaces C R S builds client — router — server in three
# network namespaces of those names (deleted first if a killed run left them), IPv4 only:
#   C c-r 10.77.1.2/24 — R r-c 10.77.1.1/24, r-s 10.77.2.1/24 — S s-r 10.77.2.2/24
# with forwarding in R, default routes through it, and static neighbours (no ARP in the captures).
# Traffic stays inside the namespaces: there is no route to the outside.
three_namespaces() {
  local c=$1 r=$2 s=$3 n
  for n in "$c" "$r" "$s"; do
    ip netns del "$n" 2>/dev/null || true
    ip netns add "$n"
    ip -n "$n" link set lo up
  done
  ip link add c-r netns "$c" address 02:77:01:00:00:02 type veth peer name r-c netns "$r" address 02:77:01:00:00:01
  ip link add r-s netns "$r" address 02:77:02:00:00:01 type veth peer name s-r netns "$s" address 02:77:02:00:00:02
  ip -n "$c" addr add 10.77.1.2/24 dev c-r
  ip -n "$r" addr add 10.77.1.1/24 dev r-c
  ip -n "$r" addr add 10.77.2.1/24 dev r-s
  ip -n "$s" addr add 10.77.2.2/24 dev s-r
  ip -n "$c" link set c-r up
  ip -n "$r" link set r-c up
  ip -n "$r" link set r-s up
  ip -n "$s" link set s-r up
  ip -n "$c" route add default via 10.77.1.1
  ip -n "$s" route add default via 10.77.2.1
  ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1
  ip -n "$c" neigh replace 10.77.1.1 lladdr 02:77:01:00:00:01 dev c-r nud permanent
  ip -n "$r" neigh replace 10.77.1.2 lladdr 02:77:01:00:00:02 dev r-c nud permanent
  ip -n "$r" neigh replace 10.77.2.2 lladdr 02:77:02:00:00:02 dev r-s nud permanent
  ip -n "$s" neigh replace 10.77.2.1 lladdr 02:77:02:00:00:01 dev s-r nud permanent
}
