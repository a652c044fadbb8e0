#!/usr/bin/env python3
"""Refreshes the output samples in README.md from the current build: every fenced block that
starts with `$ synscope ...` gets that command's real output (stdout, then stderr), and the
markdown ticket sample is re-run. Run after `npm run build`, from the repository root."""
import json, re, subprocess, shlex

def run(cmd):
    args = shlex.split(cmd)
    assert args[0] == 'synscope'
    r = subprocess.run(['node', 'dist/cli/main.js'] + args[1:], capture_output=True, text=True,
                       env={'NO_COLOR': '1', 'PATH': '/usr/bin:/bin'})
    return (r.stdout + r.stderr).rstrip('\n')

s = open('README.md').read()

def block(m):
    cmd = m.group(1)
    if '|' in cmd or '>' in cmd.split('synscope', 1)[1].replace('->', ''):
        return m.group(0)
    return '```\n$ ' + cmd + '\n' + run(cmd) + '\n```'

s = re.sub(r'```\n\$ (synscope [^\n]*)\n(?:(?!```)[^\n]*\n)+?```', block, s)

# The markdown ticket sample: its command sits in its own block, the text in a ```markdown block.
md_cmd = 'synscope read captures/mixed-gz.pcap.gz --format markdown --evidence evidence.pcap'
s = re.sub(r'(\$ ' + re.escape(md_cmd) + r'\n```\n\n```markdown\n)(.*?)(\n```\n)',
           lambda m: m.group(1) + run(md_cmd) + m.group(3), s, flags=re.S)

# The JSON handshake sample.
doc = json.loads(run('synscope read captures/refused-firewall-reset.pcap --format json'))
rec = json.dumps(doc['handshakes'][0], indent=2, ensure_ascii=False)
s = re.sub(r'(One handshake:\n\n```json\n)(.*?)(\n```)', lambda m: m.group(1) + rec + m.group(3), s, flags=re.S)
open('README.md', 'w').write(s)
