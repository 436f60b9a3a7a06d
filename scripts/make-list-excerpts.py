"""
Build the StevenBlack excerpts in tests/fixtures/lists/ from the full snapshot in ../shared/fixtures/lists/.
Run by hand when the snapshot changes: python3 scripts/make-list-excerpts.py ../shared/fixtures/lists tests/fixtures/lists
"""
import sys, os
src, dst = sys.argv[1], sys.argv[2]
def lines(f): return open(os.path.join(src, f), encoding='utf-8').read().lstrip('\ufeff').split('\n')
def header(ls, c):
    # The snapshot's own header, less its count (which is the full list's, not the excerpt's).
    return [l for l in ls[:14] if l.startswith(c) and 'Domains:' not in l]
ad = lines('stevenblack.adblock.txt')
rules = [l[2:-1] for l in ad if l.startswith('||')]
keep_extra = {'000free.us', 'doubleclick.net', 'an.facebook.com'}
chosen = [r for i, r in enumerate(rules) if i % 100 == 0 or r in keep_extra]
chosen_set = set(chosen)
dom = [l.strip().lower() for l in lines('stevenblack.domains.txt')]
dom = [l for l in dom if l and not l.startswith('#')]
def covered(n):
    labels = n.split('.')
    return any('.'.join(labels[i:]) in chosen_set for i in range(len(labels)))
allrules = set(rules)
def covered_all(n):
    labels = n.split('.')
    return any('.'.join(labels[i:]) in allrules for i in range(len(labels)))
names = [n for n in dom if covered(n)]
uncov = [n for n in dom if not covered_all(n)][:12]
names_set = set(names)
ordered = [n for n in dom if n in names_set or n in uncov]
note = 'Excerpt for tracksink tests: every 100th rule of the snapshot below (and the names they cover); see tests/fixtures/lists/README.md'
def write(f, c, hdr, body):
    with open(os.path.join(dst, f), 'w') as o:
        o.write('\n'.join(hdr + [f'{c} {note}', c] + body) + '\n')
write('stevenblack.adblock.txt', '!', header(ad, '!'), [f'||{r}^' for r in chosen])
write('stevenblack.dnsmasq.txt', '#', header(lines('stevenblack.dnsmasq.txt'), '#'), [f'address=/{r}/#' for r in chosen])
write('stevenblack.wildcard.txt', '#', header(lines('stevenblack.wildcard.txt'), '#'), [f'*.{r}' for r in chosen])
write('stevenblack.domains.txt', '#', header(lines('stevenblack.domains.txt'), '#'), ordered)
# StevenBlack's own format is a hosts file: the same names as `0.0.0.0 name` lines.
write('stevenblack.hosts.txt', '#', [l.replace('Syntax: Domains', 'Syntax: Hosts (0.0.0.0 lines, from the Domains variant)') for l in header(lines('stevenblack.domains.txt'), '#')], ['127.0.0.1 localhost', '0.0.0.0 0.0.0.0'] + [f'0.0.0.0 {n}' for n in ordered])
print(len(chosen), len(ordered), len(uncov))
