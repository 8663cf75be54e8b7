#!/usr/bin/python3
"""Write a 5 %-positive sample of adult.csv: every '<=50K' row, and '>50K' rows kept with the
probability that makes positives 5 % of the result (seeded, so the file is the same each time).
    /usr/bin/python3 bench/adult_rare.py adult.csv out.csv"""
import csv, random, sys
src, dst = sys.argv[1], sys.argv[2]
rows = list(csv.reader(open(src, newline="")))
head, body = rows[0], rows[1:]
t = head.index("class")
neg = [r for r in body if r[t].strip() == "<=50K"]
pos = [r for r in body if r[t].strip() == ">50K"]
keep = 0.05 / 0.95 * len(neg) / len(pos)
rng = random.Random(20261202)
out = [r for r in body if r[t].strip() == "<=50K" or rng.random() < keep]
with open(dst, "w", newline="") as f:
    w = csv.writer(f); w.writerow(head); w.writerows(out)
print(f"{dst}: {len(out)} rows, {sum(r[t].strip() == '>50K' for r in out)} positive", file=sys.stderr)
