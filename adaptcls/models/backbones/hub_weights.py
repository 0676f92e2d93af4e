"""Where timm gets the weights of a ``pretrained=True`` backbone (the Hugging Face hub, else a download URL, through
a local cache), and the one error that says so when it cannot get them."""
import os
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence, Tuple

import timm

MAX_REASON_CHARS = 200
"""How much of the download error's first line the message quotes."""
WEIGHTS_FILE_EXAMPLE = '/path/to/weights.pth'
"""The placeholder path of the weights-file fix."""
OFFLINE_DOCS = 'docs/faq.md, "Pretrained weights without internet"'
"""Where the offline ways are documented."""


@dataclass(frozen=True)
class HubWeights:
    """The weights timm downloads for ``timm.create_model(full_name, pretrained=True)``.

    Attributes:
        model_name (str): the timm architecture, e.g. ``'mobilenetv3_small_100'``.
        full_name (str): ``model_name`` or ``model_name.pretrained_tag``.
        hf_hub_id (str, optional): the Hugging Face hub repository, e.g. ``'timm/mobilenetv3_small_100.lamb_in1k'``;
            timm's first choice.
        url (str, optional): the download URL timm uses when there is no hub repository.
    """

    model_name: str
    full_name: str
    hf_hub_id: Optional[str] = None
    url: Optional[str] = None

    @classmethod
    def of(cls, model_name: str, full_name: str, overlay: Optional[Mapping] = None) -> 'HubWeights':
        """The weights of timm ``full_name``, with a ``pretrained_cfg_overlay``'s ``hf_hub_id`` / ``url`` applied.

        Args:
            model_name (str): the timm architecture.
            full_name (str): ``model_name[.pretrained_tag]``.
            overlay (Mapping, optional): the backbone's ``pretrained_cfg_overlay``. Defaults to None.
        """
        pretrained_cfg = timm.models.get_pretrained_cfg(full_name)
        found = dict(hf_hub_id=getattr(pretrained_cfg, 'hf_hub_id', None), url=getattr(pretrained_cfg, 'url', None))
        found.update({key: value for key, value in (overlay or {}).items() if key in found})
        return cls(model_name, full_name, **found)

    @property
    def origin(self) -> str:
        """The ``pretrained_source`` of a backbone with these weights: ``'hub:<repository or URL>'``."""
        return f'hub:{self.hf_hub_id or self.url or self.full_name}'


class PretrainedWeightsUnavailableError(OSError):
    """timm could not get a backbone's ``pretrained=True`` weights (no network, not in the cache).

    Its message names the weights, where they were looked for, and the fixes. A backbone does not know where the
    config holds it, so its own message describes the key; :meth:`for_config` names it
    (``model.fast.backbone.pretrained``).

    Args:
        weights (HubWeights): the weights.
        reason (str): the download error, e.g. ``'LocalEntryNotFoundError: ...'``.
        config_keys (Sequence[str]): the dotted config keys of the backbones that need these weights, e.g.
            ``('model.fast.backbone', 'model.slow.backbone')``. Defaults to ().
        config (str, optional): the config file. Defaults to None.
    """

    def __init__(self, weights: HubWeights, reason: str, config_keys: Sequence[str] = (),
                 config: Optional[str] = None) -> None:
        self.weights, self.reason, self.config_keys, self.config = weights, reason, tuple(config_keys), config
        super().__init__(unavailable_weights_message(weights, reason, self.config_keys, config))

    def __reduce__(self):
        """Pickles with the constructor's arguments (an ``OSError`` would pass only the message)."""
        return type(self), (self.weights, self.reason, self.config_keys, self.config)

    def for_config(self, config_keys: Sequence[str], config: Optional[str]) -> 'PretrainedWeightsUnavailableError':
        """The same error, naming the config keys of the backbones that need the weights."""
        return PretrainedWeightsUnavailableError(self.weights, self.reason, config_keys, config)


def unavailable_weights_message(weights: HubWeights, reason: str, config_keys: Sequence[str] = (),
                                config: Optional[str] = None) -> str:
    """One line: which weights, where they were looked for, and the three fixes, with the exact config keys when
    ``config_keys`` is given.

    Args:
        weights (HubWeights): the weights.
        reason (str): the download error.
        config_keys (Sequence[str]): dotted keys of the backbones that need them. Defaults to ().
        config (str, optional): the config file. Defaults to None.
    """
    if config_keys:
        subject = (f'config {config}: ' if config else '') + f'the pretrained weights of {" and ".join(config_keys)}'
    else:
        subject = f'the pretrained weights of the TimmBackbone model_name="{weights.model_name}"'
    subject += f' (timm "{weights.full_name}", pretrained=True)'
    looked, cache_fix, note = _hub_cache(weights, reason) if weights.hf_hub_id else _url_cache(weights, reason)
    file_fix = (f'put the weights of timm "{weights.model_name}" in a .pth/.pt/.safetensors file on this machine '
                f'and set {_set_keys(config_keys, WEIGHTS_FILE_EXAMPLE)}')
    off_fix = f'train from scratch: {_set_keys(config_keys, False)}'
    return (f'{subject} {looked}. Fix one of: (1) {file_fix}; (2) {cache_fix}; (3) {off_fix} '
            f'({OFFLINE_DOCS}).{note}')


def _hub_cache(weights: HubWeights, reason: str) -> Tuple[str, str, str]:
    """Where the hub weights were looked for, the cache fix, and a note: for the Hugging Face hub."""
    import huggingface_hub.constants as hub
    from huggingface_hub.file_download import repo_folder_name
    cache, folder = hub.HF_HUB_CACHE, repo_folder_name(repo_id=weights.hf_hub_id, repo_type='model')
    looked = f'are not in the Hugging Face cache {cache} (folder {folder})' + (
        ' and HF_HUB_OFFLINE is set, so the hub was not asked' if hub.HF_HUB_OFFLINE else
        f' and could not be downloaded from {hub.ENDPOINT}/{weights.hf_hub_id} ({reason})')
    cache_fix = (f'copy {folder} from the Hugging Face cache of a machine with internet (after '
                 f'`hf download {weights.hf_hub_id}` there) into {cache}, or set HF_HOME to a folder whose hub/ '
                 'holds it')
    note = '' if hub.HF_HUB_OFFLINE else ' HF_HUB_OFFLINE=1 skips the network retries when offline.'
    return looked, cache_fix, note


def _url_cache(weights: HubWeights, reason: str) -> Tuple[str, str, str]:
    """The same for weights timm downloads from a URL into the torch hub cache."""
    import torch.hub
    cache = os.path.join(torch.hub.get_dir(), 'checkpoints')
    name = os.path.basename(weights.url or '') or '<file>'
    looked = f'are not in the torch hub cache {cache} and could not be downloaded from {weights.url} ({reason})'
    cache_fix = (f'put {name} (downloaded from {weights.url}) into {cache}, or set TORCH_HOME to a folder whose '
                 'hub/checkpoints/ holds it')
    return looked, cache_fix, ''


def _set_keys(config_keys: Sequence[str], value) -> str:
    """``--cfg-options K.pretrained=V ...`` for the backbones at ``config_keys``, else the key in words."""
    if config_keys:
        return '--cfg-options ' + ' '.join(f'{key}.pretrained={value}' for key in config_keys)
    return f'pretrained={value!r} in this TimmBackbone\'s config'


def download_error_reason(error: BaseException) -> str:
    """``'<error type>: <first line>'`` of ``error``, and of its root cause when it wraps one (huggingface_hub
    wraps a refused connection in a ``LocalEntryNotFoundError``), shortened to :data:`MAX_REASON_CHARS`."""
    root, seen = error, {id(error)}
    while (root.__cause__ or root.__context__) is not None and id(root.__cause__ or root.__context__) not in seen:
        root = root.__cause__ or root.__context__
        seen.add(id(root))
    text = f'{type(error).__name__} caused by {_first_line(root)}' if root is not error else _first_line(error)
    return text if len(text) <= MAX_REASON_CHARS else text[:MAX_REASON_CHARS - len('...')] + '...'


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f'{type(error).__name__}: {lines[0]}' if lines else type(error).__name__
