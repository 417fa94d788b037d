#!/bin/sh
# Reproduces models/detector.pkm, models/reader.pkm and the C-vs-PyTorch fixture from scratch
# (`make train`). Uses Debian's interpreter ($PYTHON, default /usr/bin/python3) with python3-torch,
# python3-numpy and python3-pil, the fonts of fonts-roadgeek, fonts-urw-base35, fonts-dejavu and
# fonts-liberation2, and $PK_DATA (default ../shared/data): backgrounds/ for synthesis and
# openalpr-benchmarks/seg_and_ocr (its training half only) for the reader.
# Takes about two hours on 2 cores; everything intermediate goes to work/ (git-ignored).
set -eu
cd "$(dirname "$0")"
PYTHON=${PYTHON:-/usr/bin/python3}
export PK_DATA=${PK_DATA:-../../../shared/data}
MIN_READER=${MIN_READER:-70}
MIN_DETECTOR=${MIN_DETECTOR:-70}
mkdir -p work
$PYTHON gen.py reader --n 160000 --seed 1 --out work/reader_train.npz --real-aug 40
$PYTHON gen.py reader --n 4000 --seed 2 --out work/reader_val.npz
$PYTHON gen.py detector --n 30000 --seed 3 --out work/det_train.npz
# The two trainings share the machine's two cores, one thread each.
$PYTHON train_reader.py --train work/reader_train.npz --val work/reader_val.npz \
    --out work/reader.pt --minutes "$MIN_READER" > work/reader.log 2>&1 &
rpid=$!
$PYTHON train_detector.py --train work/det_train.npz --out work/detector.pt \
    --minutes "$MIN_DETECTOR" > work/detector.log 2>&1
wait $rpid
tail -n 2 work/reader.log work/detector.log
$PYTHON export.py --detector work/detector.pt --reader work/reader.pt --models ../../models \
    --fixture ../../tests/unit/fixtures/recog
