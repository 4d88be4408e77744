"""The real-model corpus: models people actually trace and script, built with no weights and no
downloads, small enough that every public call on all of them runs in a few minutes on two cores.

Shared by tests/real_models/test_corpus.py and bench/real_models.py. Each entry builds a fresh
eval-mode model and its example inputs from a fixed seed, so every run sees the same weights.

- transformers: tiny configs (2 layers, hidden size 32) of BERT, GPT-2, T5, DistilBERT, Whisper,
  called with ``return_dict=False`` (a tuple out, which tracing needs) and no cache.
- torch.nn: the built-in recurrent and attention layers, whose scripted forms are torch's own code.
- torchvision (through :mod:`tests.real_models.torchvision_shim`): the classification, segmentation
  and detection definitions, at 64×64 (32×32 for the deepest classifiers, whose 32× downsampling
  still leaves one pixel), so each call takes seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import nn

from tests.real_models.torchvision_shim import import_torchvision

SEED = 0


@dataclass(frozen=True)
class RealModel:
    """One corpus entry.

    Attributes:
        name: the id tests and the bench use.
        family: ``transformers``, ``nn`` or ``torchvision``.
        make: builds ``(model in eval mode, example inputs tuple)``.
        scriptable: whether ``torch.jit.script`` accepts the model (transformers models do not).
        slow: takes several seconds per call on two cores.
        trace_kwargs: keyword arguments the model needs to trace (``strict=False`` for dict outputs).
        traceable: whether ``torch.jit.trace`` can record it at all (a detector returns a list of
            dicts, which a trace cannot output: torchvision scripts those).
        partition: worth a ``toolkit.partition.trace`` in the corpus run (the partition tests
            cover real models in depth; here a few quick ones check the call end to end).
    """

    name: str
    family: str
    make: Callable[[], tuple[nn.Module, tuple[Any, ...]]]
    scriptable: bool
    slow: bool = False
    trace_kwargs: tuple[tuple[str, Any], ...] = ()
    traceable: bool = True
    partition: bool = False

    def build(self) -> tuple[nn.Module, tuple[Any, ...]]:
        torch.manual_seed(SEED)
        model, inputs = self.make()
        return model.eval(), inputs


class _TupleOutput(nn.Module):
    """Calls a transformers model by keyword with ``return_dict=False`` (and its other call
    options, ``use_cache=False``): a trace needs tensors, or tuples of them, in and out, and a
    cache object would be baked in. ``argument_names`` name the example inputs, in order."""

    def __init__(self, model: nn.Module, argument_names: tuple[str, ...], **call_options: Any) -> None:
        super().__init__()
        self.model = model
        self.argument_names = argument_names
        self.call_options = call_options

    def forward(self, *inputs: torch.Tensor) -> Any:
        named = dict(zip(self.argument_names, inputs))
        return self.model(**named, return_dict=False, **self.call_options)


def _tokens(batch: int, length: int, vocab: int = 100) -> torch.Tensor:
    return torch.randint(0, vocab, (batch, length), generator=torch.Generator().manual_seed(SEED))


def _bert():
    from transformers import BertConfig, BertModel

    config = BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, max_position_embeddings=64)
    ids = _tokens(2, 8)
    return _TupleOutput(BertModel(config), ("input_ids", "attention_mask")), (ids, torch.ones_like(ids))


def _gpt2():
    from transformers import GPT2Config, GPT2Model

    config = GPT2Config(vocab_size=100, n_embd=32, n_layer=2, n_head=2, n_positions=64, bos_token_id=0, eos_token_id=0)
    ids = _tokens(2, 8)
    return _TupleOutput(GPT2Model(config), ("input_ids", "attention_mask"), use_cache=False), (ids, torch.ones_like(ids))


def _t5():
    from transformers import T5Config, T5Model

    config = T5Config(vocab_size=100, d_model=32, d_kv=16, d_ff=64, num_layers=2, num_heads=2, decoder_start_token_id=0)
    ids = _tokens(2, 8)
    names = ("input_ids", "attention_mask", "decoder_input_ids")
    return _TupleOutput(T5Model(config), names, use_cache=False), (ids, torch.ones_like(ids), _tokens(2, 5))


def _distilbert():
    from transformers import DistilBertConfig, DistilBertModel

    config = DistilBertConfig(vocab_size=100, dim=32, hidden_dim=64, n_layers=2, n_heads=2, max_position_embeddings=64)
    ids = _tokens(2, 8)
    return _TupleOutput(DistilBertModel(config), ("input_ids", "attention_mask")), (ids, torch.ones_like(ids))


def _whisper():
    from transformers import WhisperConfig, WhisperModel

    config = WhisperConfig(
        vocab_size=100,
        d_model=32,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        num_mel_bins=8,
        max_source_positions=16,
        max_target_positions=16,
        pad_token_id=0,
        decoder_start_token_id=1,
    )
    features = torch.randn(1, 8, 32, generator=torch.Generator().manual_seed(SEED))
    names = ("input_features", "decoder_input_ids")
    return _TupleOutput(WhisperModel(config), names, use_cache=False), (features, _tokens(1, 4))


def _sequence(batch: int = 2, length: int = 5, width: int = 16) -> torch.Tensor:
    return torch.randn(batch, length, width, generator=torch.Generator().manual_seed(SEED))


def _image(size: int = 64, batch: int = 1) -> torch.Tensor:
    return torch.rand(batch, 3, size, size, generator=torch.Generator().manual_seed(SEED))


def _vision(build: Callable[[Any], nn.Module], size: int = 64) -> Callable[[], tuple[nn.Module, tuple[Any, ...]]]:
    def make() -> tuple[nn.Module, tuple[Any, ...]]:
        return build(import_torchvision().models), (_image(size),)

    return make


def _vit(models: Any) -> nn.Module:
    # ViT-B/16's layout (patch 16, class token, pre-norm encoder) at a size that runs in seconds.
    return models.VisionTransformer(image_size=64, patch_size=16, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64, num_classes=10)


def _faster_rcnn():
    detection = import_torchvision().models.detection
    model = detection.fasterrcnn_mobilenet_v3_large_320_fpn(weights=None, weights_backbone=None, min_size=96, max_size=96)
    return model, ([torch.rand(3, 96, 96, generator=torch.Generator().manual_seed(SEED))],)


CORPUS: tuple[RealModel, ...] = (
    RealModel("bert", "transformers", _bert, scriptable=False, partition=True),
    RealModel("gpt2", "transformers", _gpt2, scriptable=False),
    RealModel("t5", "transformers", _t5, scriptable=False),
    RealModel("distilbert", "transformers", _distilbert, scriptable=False),
    RealModel("whisper", "transformers", _whisper, scriptable=False),
    RealModel("lstm", "nn", lambda: (nn.LSTM(16, 32, num_layers=2, batch_first=True), (_sequence(),)), scriptable=True, partition=True),
    RealModel("gru", "nn", lambda: (nn.GRU(16, 32, num_layers=2, batch_first=True), (_sequence(),)), scriptable=True),
    RealModel("multihead_attention", "nn", lambda: (nn.MultiheadAttention(16, 2, batch_first=True), (_sequence(),) * 3), scriptable=True, partition=True),
    RealModel("transformer_encoder_layer", "nn", lambda: (nn.TransformerEncoderLayer(16, 2, 32, batch_first=True), (_sequence(),)), scriptable=True),
    RealModel("resnet18", "torchvision", _vision(lambda m: m.resnet18(num_classes=10)), scriptable=True, partition=True),
    RealModel("resnet50", "torchvision", _vision(lambda m: m.resnet50(num_classes=10), size=32), scriptable=True, slow=True),
    RealModel("mobilenet_v3_small", "torchvision", _vision(lambda m: m.mobilenet_v3_small(num_classes=10)), scriptable=True),
    RealModel("efficientnet_b0", "torchvision", _vision(lambda m: m.efficientnet_b0(num_classes=10), size=32), scriptable=True, slow=True),
    RealModel("vit", "torchvision", _vision(_vit), scriptable=True),
    RealModel("swin_t", "torchvision", _vision(lambda m: m.swin_t(num_classes=10)), scriptable=True, slow=True),
    RealModel("convnext_tiny", "torchvision", _vision(lambda m: m.convnext_tiny(num_classes=10), size=32), scriptable=True, slow=True),
    RealModel(
        "deeplabv3",
        "torchvision",
        _vision(lambda m: m.segmentation.deeplabv3_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=3, aux_loss=False)),
        scriptable=True,
        slow=True,
        trace_kwargs=(("strict", False),),
    ),
    RealModel("faster_rcnn", "torchvision", _faster_rcnn, scriptable=True, slow=True, traceable=False),
)

BY_NAME = {entry.name: entry for entry in CORPUS}
