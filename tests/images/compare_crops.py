"""Compares ClipScope's crops with Pillow's reference crops, pixel by pixel.
Usage: compare_crops.py OUT_DIR OURS_DIR  -> prints one line per image, exits 1 on a mismatch."""
import os, sys

import numpy as np
from PIL import Image

out_dir, ours = sys.argv[1], sys.argv[2]
failures = 0
for line in open(os.path.join(out_dir, 'cases.tsv')):
    stem, path, expectation = line.rstrip('\n').split('\t')
    if expectation != 'exact':
        continue
    ref = np.asarray(Image.open(os.path.join(out_dir, 'reference', stem + '.png')).convert('RGB'), dtype=np.int16)
    mine_path = os.path.join(ours, stem + '.png')
    if not os.path.exists(mine_path):
        print(f'{stem}\tmissing')
        failures += 1
        continue
    mine = np.asarray(Image.open(mine_path).convert('RGB'), dtype=np.int16)
    diff = np.abs(ref - mine)
    status = 'identical' if diff.max() == 0 else 'DIFFERENT'
    failures += diff.max() != 0
    print(f'{stem}\t{status}\tmax {diff.max()}\tpixels off {np.count_nonzero(diff.max(axis=-1))}/{diff.shape[0] * diff.shape[1]}')
sys.exit(1 if failures else 0)
