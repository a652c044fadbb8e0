#!/usr/bin/env bash
# A short live session for README.md: two namespaces joined by a veth (10.199.0.0/24, fd99:199::/64,
# nothing else), a listener, a closed port, iptables REJECT and DROP; synscope sniffs the server end
# for 10 s while a client connects to each (python, and node for the REJECT port). Run as root after npm run build. Cleans up on exit.
# P (a few letters) prefixes the namespace and interface names: P=ab scripts/docs/live-demo.sh.
set -u
P=${P:-ssr}
S=$P-s; C=$P-c
cleanup() { ip netns pids $S 2>/dev/null | xargs -r kill 2>/dev/null; ip netns pids $C 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del $S 2>/dev/null; ip netns del $C 2>/dev/null; }
trap cleanup EXIT
cleanup
ip netns add $S; ip netns add $C
ip link add $P-sv type veth peer name $P-cv
ip link set $P-sv netns $S; ip link set $P-cv netns $C
ip -n $S addr add 10.199.0.1/24 dev $P-sv; ip -n $C addr add 10.199.0.2/24 dev $P-cv
ip -n $S addr add fd99:199::1/64 dev $P-sv nodad; ip -n $C addr add fd99:199::2/64 dev $P-cv nodad
for n in $S $C; do ip -n $n link set lo up; done
ip -n $S link set $P-sv up; ip -n $C link set $P-cv up
ip netns exec $C sysctl -qw net.ipv4.tcp_syn_retries=1
ip netns exec $S iptables -A INPUT -p tcp --dport 8082 -j REJECT
ip netns exec $S iptables -A INPUT -p tcp --dport 8083 -j DROP
ip netns exec $S timeout 20 python3 -c "
import socket,time
s=socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR,1); s.bind(('::',8080)); s.listen(8)
t=time.time()
while time.time()-t<15:
    c,_=s.accept(); c.close()
" &
sleep 1
ip netns exec $S timeout 20 node dist/cli/main.js live -i $P-sv --duration 10 > /tmp/$P-live.out 2> /tmp/$P-live.err &
LP=$!
sleep 1.5
for t in "10.199.0.1 8080" "10.199.0.1 8081" "10.199.0.1 8082" "10.199.0.1 8083" "fd99:199::1 8081"; do
  set -- $t
  ip netns exec $C timeout 6 python3 -c "
import socket,sys,time
h,p=sys.argv[1],int(sys.argv[2])
s=socket.socket(socket.AF_INET6 if ':' in h else socket.AF_INET); s.settimeout(5)
t=time.time()
try:
    s.connect((h,p)); print(h,p,'connected after %.3f s' % (time.time()-t))
except OSError as e: print(h,p,e,'after %.3f s' % (time.time()-t))
" $1 $2 &
  sleep 0.2
done
# A non-blocking connect() (node): Linux takes the first ICMP error as soft while connect() holds the
# socket, retransmits 1 s later and fails on the second.
ip netns exec $C timeout 6 node -e "
const t = Date.now(); require('net').connect(8082, '10.199.0.1').on('error', (e) => console.log('10.199.0.1 8082 (node)', e.code, 'after', (Date.now() - t) / 1000, 's'));
" &
wait $LP
cat /tmp/$P-live.err; cat /tmp/$P-live.out
