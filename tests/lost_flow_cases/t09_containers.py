"""T9: the output's structure (how many items, which keys) depends on the data."""

from torch import nn

from tests.lost_flow_cases import case, seeded


class PerClassBest(nn.Module):
    def __init__(self, num_classes=3, thr=0.5):
        super().__init__()
        self.num_classes = num_classes
        self.thr = thr

    def forward(self, scores):
        return {f"class_{c}": scores[:, c].max() for c in range(self.num_classes) if bool((scores[:, c] > self.thr).any())}  # LOST: per_class_dict


@case(
    category="T9",
    source="dict outputs from the tracer (pytorch/pytorch#27743, PR #31860 added them under strict=False);"
    " keys decided by the data as in detection post-processing",
    trace_kwargs={"strict": False},
)
def per_class_dict():
    return PerClassBest(), (seeded(4, 3, seed=70),)


class KeepAboveThreshold(nn.Module):
    def __init__(self, thr=0.5):
        super().__init__()
        self.thr = thr

    def forward(self, boxes, scores):
        return [b for b, s in zip(boxes, scores) if s > self.thr]  # LOST: kept_boxes_list


@case(
    category="T9",
    source="torchvision detection postprocess returns per-image lists whose length depends on scores"
    " (pytorch/vision#1002 on tracing/scripting maskrcnn); list outputs need strict=False",
    trace_kwargs={"strict": False},
)
def kept_boxes_list():
    return KeepAboveThreshold(), (seeded(4, 4, seed=71), seeded(4, seed=72))


class OptionalAlerts(nn.Module):
    def __init__(self, thr=0.8):
        super().__init__()
        self.thr = thr

    def forward(self, x):
        out = {"logits": x}
        if (x > self.thr).any():  # LOST: optional_output_key
            out["alerts"] = (x > self.thr).float()
        return out


@case(
    category="T9",
    source="model outputs with an optional field (pytorch/pytorch#18850 asks for None/optional outputs;"
    " detectron2 TracingAdapter flattens rich outputs for this reason)",
    trace_kwargs={"strict": False},
)
def optional_output_key():
    return OptionalAlerts(), (seeded(2, 3, seed=73),)
