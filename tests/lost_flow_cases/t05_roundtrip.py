"""T5: values round-tripped through Python, NumPy or a tensor constructor become constants."""

import numpy as np
import torch
from torch import nn

from tests.lost_flow_cases import case, seeded


class NormalizeBoxes(nn.Module):
    def forward(self, img, boxes):
        gn = torch.tensor(img.shape)[[2, 1, 2, 1]]  # LOST: yolo_gain_tensor
        return boxes / gn


@case(
    category="T5",
    source="ultralytics/yolov5 detect.py: `gn = torch.tensor(im0.shape)[[1, 0, 1, 0]]` normalization gain",
)
def yolo_gain_tensor():
    return NormalizeBoxes(), (seeded(3, 6, 8, seed=30), seeded(2, 4, seed=31, high=6.0))


class NumpyAnchorGrid(nn.Module):
    def forward(self, features):
        image_shape = np.array(features.shape[2:])  # LOST: numpy_anchor_grid
        ys, xs = np.meshgrid(np.arange(image_shape[0]), np.arange(image_shape[1]), indexing="ij")
        anchors = torch.from_numpy(np.stack([ys, xs]).astype(np.float32))
        return features.mean(1, keepdim=True) + anchors


@case(
    category="T5",
    source="signatrix/efficientdet#46: `image_shape = np.array(image_shape)` and"
    " `torch.from_numpy(all_anchors)` (src/utils.py) registered as constants",
)
def numpy_anchor_grid():
    return NumpyAnchorGrid(), (seeded(1, 2, 3, 4, seed=32),)


class SegmentSum(nn.Module):
    def forward(self, values, lengths):
        segments = torch.split(values, lengths.tolist())  # LOST: split_by_lengths
        return torch.stack([s.sum(0) for s in segments])


@case(
    category="T5",
    source="jagged segments split by `lengths.tolist()` (meta-pytorch/torchrec PR #999: lengths hard coded in"
    " traced KeyedJaggedTensor.to_dict)",
)
def split_by_lengths():
    return SegmentSum(), (seeded(6, 2, seed=33), torch.tensor([1, 2, 3]))


class RescaleBoxes(nn.Module):
    def forward(self, feat, boxes):
        h, w = feat.shape[-2:]
        scale = boxes.new_tensor([w, h, w, h])  # LOST: new_tensor_scale
        return boxes / scale


@case(
    category="T5",
    source="mmdetection bbox heads rescale with `bboxes.new_tensor(scale_factor)`; pytorch/pytorch#36454 shows the"
    " 'torch.tensor results are registered as constants' warning",
)
def new_tensor_scale():
    return RescaleBoxes(), (seeded(1, 2, 5, 7, seed=34), seeded(3, 4, seed=35, high=5.0))
