"""Import circles among the files of one module folder (e.g. src/sim): strongly connected
components of `super::NAME` references outside tests and comments. With ROOMS=1, a file
that adds methods to `Sim` (`impl Sim`, a room of the day step) is not counted as
importing `day.rs` for `Sim`. Usage: ROOMS=1 python3 scripts/circles.py src/sim [edges]"""
import re, sys, os
root = sys.argv[1]
mods = {}
for dp, _, fs in os.walk(root):
    for f in fs:
        if f.endswith('.rs'):
            p = os.path.join(dp, f)
            rel = os.path.relpath(p, root)
            name = rel[:-3].replace('/mod', '').split('/')[0]
            text = open(p).read()
            text = text.split('#[cfg(test)]')[0]
            text = '\n'.join(l for l in text.split('\n') if not l.strip().startswith('//'))
            if os.environ.get('ROOMS') and re.search(r'^impl(<.*?>)? Sim', text, re.M) and name != 'day': text = re.sub(r'\bsuper::(super::)?Sim\b', '', text)
            mods.setdefault(name, '')
            mods[name] += text
names = set(mods)
# items re-exported by mod.rs: `use day::Sim` -> super::Sim means day
modrs = open(os.path.join(root, 'mod.rs')).read()
alias = {}
for m in re.finditer(r'(?:pub )?use (\w+)::(?:\{([^}]*)\}|(\w+));', modrs):
    items = (m.group(2) or m.group(3)).replace('\n', ' ')
    for it in items.split(','):
        it = it.strip().split(' as ')[-1]
        if it: alias[it] = m.group(1)
edges = {n: set() for n in names}
for n, t in mods.items():
    if n == 'mod': continue
    for m in re.finditer(r'super::(?:super::)?(\w+)', t):
        x = m.group(1)
        tgt = x if x in names else alias.get(x)
        if tgt and tgt != n and tgt != 'mod': edges[n].add(tgt)
    for m in re.finditer(r'super::\{([^}]*)\}', t):
        for x in re.findall(r'\w+', m.group(1)):
            tgt = x if x in names else alias.get(x)
            if tgt and tgt != n and tgt != 'mod': edges[n].add(tgt)
# tarjan
idx = {}; low = {}; st = []; on = set(); out = []; c = [0]
def sc(v):
    idx[v] = low[v] = c[0]; c[0] += 1; st.append(v); on.add(v)
    for w in edges[v]:
        if w not in idx: sc(w); low[v] = min(low[v], low[w])
        elif w in on: low[v] = min(low[v], idx[w])
    if low[v] == idx[v]:
        comp = []
        while True:
            w = st.pop(); on.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: out.append(sorted(comp))
sys.setrecursionlimit(10000)
for v in sorted(names):
    if v not in idx: sc(v)
for comp in out: print(len(comp), comp)
if not out: print('no circle')
if len(sys.argv) > 2:
    for n in sorted(edges): print(n, '->', sorted(edges[n]))
