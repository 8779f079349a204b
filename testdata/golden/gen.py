"""Regenerates every PyTorch golden file: runs each gen_<group>.py here.

    /usr/bin/python3 testdata/golden/gen.py
"""
import glob
import os
import runpy

HERE = os.path.dirname(os.path.abspath(__file__))
torch = __import__("torch")
torch.set_num_threads(1)
for path in sorted(glob.glob(os.path.join(HERE, "gen_*.py"))):
    runpy.run_path(path, run_name="__main__")
