"""Times scikit-learn on the panel-evaluation benchmark's input, for docs/performance.md.

usage: KRATOS_BENCH_WRITE=DIR cargo run --release -p kratos-benches --bin bench_panel_eval
       /work/pyenv/bin/python time_sklearn_panel_eval.py DIR [--pcts 1,...,10] [--n-iter 20]

The protocol is the reference scorer's (/work/shared/reference/panel_eval.py) line for line:
min-max scaling over all cells; per top-k%, RandomizedSearchCV(SVC(kernel='rbf',
class_weight='balanced'), C ~ expon(scale=100), gamma ~ expon(scale=0.1), cv=3,
scoring='roc_auc') inside cross_val_score with StratifiedKFold(3, shuffle=True). Only the
evaluation is timed (not reading the CSV). Prints one JSON object.
"""
import argparse, json, time, warnings
import numpy as np, pandas as pd
from scipy.stats import expon
from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold, cross_val_score
from sklearn.preprocessing import MinMaxScaler
from sklearn.svm import SVC
warnings.filterwarnings('ignore')
ap = argparse.ArgumentParser()
ap.add_argument('dir')
ap.add_argument('--pcts', default='1,2,3,4,5,6,7,8,9,10')
ap.add_argument('--n-iter', type=int, default=20)
ap.add_argument('--seed', type=int, default=0)
a = ap.parse_args()
X = pd.read_csv(f'{a.dir}/data.csv', index_col=0)
y = pd.read_csv(f'{a.dir}/labels.tsv', sep='\t', index_col=0).loc[X.index].iloc[:, 0].astype(str).values
panel = pd.read_csv(f'{a.dir}/panel.tsv', sep='\t', dtype={'class': str})
wall, cpu = time.perf_counter(), time.process_time()
Xs = pd.DataFrame(MinMaxScaler().fit_transform(X.values), index=X.index, columns=X.columns)
G = X.shape[1]
ks, aucs = [], []
for pct in [float(p) for p in a.pcts.split(',')]:
    k = max(1, int(round(G * pct / 100)))
    for c, grp in panel.groupby('class'):
        yy = (y == c).astype(int)
        Z = Xs[list(grp.sort_values('rank')['gene'][:k])].values
        search = RandomizedSearchCV(SVC(kernel='rbf', class_weight='balanced'),
                                    {'C': expon(scale=100), 'gamma': expon(scale=0.1)}, n_iter=a.n_iter,
                                    cv=3, scoring='roc_auc', random_state=a.seed)
        cv = StratifiedKFold(3, shuffle=True, random_state=a.seed)
        aucs.append(float(cross_val_score(search, Z, yy, cv=cv, scoring='roc_auc').mean()))
        ks.append(k)
print(json.dumps({'name': 'panel_eval_one_class_sklearn', 'seconds': time.perf_counter() - wall,
                  'cpu_seconds': time.process_time() - cpu, 'ks': ks, 'n_iter': a.n_iter, 'auroc': aucs}))
