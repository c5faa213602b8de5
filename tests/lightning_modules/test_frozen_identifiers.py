import pytest
import torch

from empathy_suite.datamodules.epitome import EpitomeDataModule
from empathy_suite.errors import ConfigError
from empathy_suite.lightning_modules.empathy_identifier import EmpathyIdentifierModule, FrozenIdentifiers


def identifiers(mechanisms):
    torch.manual_seed(0)
    module = EmpathyIdentifierModule(dim=16, layers=1, heads=2, ffn_dim=32, vocab_size=300, mechanisms=mechanisms)
    module.prepare(EpitomeDataModule().examples("train"))
    return module


def test_identifiers_trained_one_at_a_time_score_together():
    er, ip_ex = identifiers(["ER"]), identifiers(["IP", "EX"])
    frozen = FrozenIdentifiers(er, ip_ex)
    assert frozen.mechanisms == ("ER", "IP", "EX")
    contexts, responses = ["I lost my job today", "my dog is sick"], ["I'm so sorry", "what happened?"]
    logits = frozen.logits(contexts, responses, torch.device("cpu"))
    assert logits.shape == (3, 2, 3) and not logits.requires_grad
    batch = er.encode_pairs(contexts, responses)
    expected = er.identifiers(batch["context_ids"], batch["context_mask"], batch["response_ids"], batch["response_mask"])
    torch.testing.assert_close(logits[:1], expected)  # eval mode: no dropout
    assert frozen.levels(contexts, responses, torch.device("cpu")).shape == (2, 3)
    assert all(not p.requires_grad for p in er.parameters())


def test_a_mechanism_twice_or_a_missing_checkpoint_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="cover a mechanism twice"):
        FrozenIdentifiers(identifiers(["ER"]), identifiers(["ER", "IP"]))
    with pytest.raises(ConfigError, match="nothing.ckpt does not exist"):
        FrozenIdentifiers.load([str(tmp_path / "nothing.ckpt")])
