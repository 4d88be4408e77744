"""The torchvision shim's kernels give the answers torchvision's definitions promise."""

from __future__ import annotations

import torch

from tests.real_models.torchvision_shim import import_torchvision


def _random_boxes(generator: torch.Generator, count: int) -> torch.Tensor:
    corners = torch.rand(count, 2, generator=generator) * 40
    sizes = torch.rand(count, 2, generator=generator) * 20 + 1
    return torch.cat([corners, corners + sizes], dim=1)


def test_nms_keeps_no_overlapping_pair_and_drops_only_covered_boxes():
    torchvision = import_torchvision()
    generator = torch.Generator().manual_seed(0)
    boxes = _random_boxes(generator, 60)
    scores = torch.rand(60, generator=generator)
    threshold = 0.4
    kept = torchvision.ops.nms(boxes, scores, threshold)
    iou = torchvision.ops.box_iou(boxes, boxes)
    assert kept.dtype == torch.long
    assert torch.all(scores[kept][:-1] >= scores[kept][1:]), "kept boxes come highest score first"
    kept_iou = iou[kept][:, kept] - torch.eye(len(kept))
    assert torch.all(kept_iou <= threshold)
    dropped = sorted(set(range(60)) - set(kept.tolist()))
    assert dropped, "the case is too sparse to test suppression"
    for index in dropped:
        better_kept = kept[scores[kept] >= scores[index]]
        assert torch.any(iou[index, better_kept] > threshold), f"box {index} was dropped without cause"


def test_roi_align_of_a_constant_map_is_that_constant():
    import_torchvision()
    features = torch.full((1, 3, 16, 16), 2.5)
    rois = torch.tensor([[0.0, 1.0, 2.0, 9.0, 12.0]])
    pooled = torch.ops.torchvision.roi_align(features, rois, 1.0, 4, 4, 2, True)
    assert pooled.shape == (1, 3, 4, 4)
    torch.testing.assert_close(pooled, torch.full((1, 3, 4, 4), 2.5))


def test_faster_rcnn_runs_eager_and_scripted():
    torchvision = import_torchvision()
    model = torchvision.models.detection.fasterrcnn_mobilenet_v3_large_320_fpn(weights=None, weights_backbone=None).eval()
    images = [torch.rand(3, 96, 96, generator=torch.Generator().manual_seed(1))]
    with torch.no_grad():
        eager = model(images)[0]
        _, scripted = torch.jit.script(model)(images)
    assert set(eager) == {"boxes", "labels", "scores"}
    torch.testing.assert_close(scripted[0]["boxes"], eager["boxes"])


def test_a_pip_target_folder_on_sys_path_is_library_code():
    import sys

    from toolkit.frames import is_library_path

    torchvision = import_torchvision()
    assert any(entry.endswith("torchvision-wheel") for entry in sys.path)
    assert is_library_path(torchvision.models.resnet.__file__)
    assert not is_library_path(__file__)
