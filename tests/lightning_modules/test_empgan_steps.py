"""EmpGAN's manual optimisation: which step moves which weights, and where gradients flow."""

import pytest
import torch

from empathy_suite.datamodules.dailydialog import DailyDialogDataModule
from empathy_suite.gan import wgan_generator_loss
from empathy_suite.lightning_modules.empgan import EmpGANModule


@pytest.fixture(scope="module")
def setup():
    torch.manual_seed(0)
    data = DailyDialogDataModule(batch_size=8)
    module = EmpGANModule(hidden=16, word_dim=16, emotion_word_dim=8, label_dim=4, dropout=0.0, vocab_size=800,
                          critic_filters=4, max_response_tokens=12)
    module.prepare(data.examples("train"))
    module.manual_backward = lambda loss: loss.backward()  # no Trainer attached in these tests
    batch = module.collate(data.examples("train")[:8])
    return module, batch


def snapshot(module):
    return {name: p.detach().clone() for name, p in module.named_parameters()}


def changed(before, module, prefix):
    return [n for n, p in module.named_parameters() if n.startswith(prefix) and not torch.equal(before[n], p)]


def test_critic_step_moves_only_the_critics(setup):
    module, batch = setup
    g_opt, d_opt = module.configure_optimizers()
    before = snapshot(module)
    module.critic_step(batch, d_opt)
    assert changed(before, module, "critics.") and changed(before, module, "critic_embeddings.")
    assert not changed(before, module, "generator.")


def test_generator_step_moves_only_the_generator(setup):
    module, batch = setup
    g_opt, d_opt = module.configure_optimizers()
    before = snapshot(module)
    terms = module.generator_step(batch, g_opt, adversarial=True)
    assert "adversarial" in terms
    assert changed(before, module, "generator.")
    assert not changed(before, module, "critics.") and not changed(before, module, "critic_embeddings.")


@pytest.mark.parametrize("critic", ["semantic", "emotional"])
def test_the_generator_gets_gradient_from_each_critic(setup, critic):
    module, batch = setup
    module.zero_grad()
    out = module.generator(batch)
    inputs = module.critic_inputs(critic, out.logits.softmax(-1), batch["targets"], batch)
    wgan_generator_loss(module.critics[critic](*inputs, out.summary)).backward()
    grads = {n: p.grad for n, p in module.generator.named_parameters() if p.grad is not None}
    # through the soft response tokens (output layer) and through h_dlg (the context encoders)
    assert grads["vocab_out.weight"].abs().sum() > 0
    assert grads["semantic.context_gru.weight_hh_l0"].abs().sum() > 0


def test_emotional_critic_sees_only_emotion_words(setup):
    module, batch = setup
    ids = batch["targets"]
    embeds, mask, _, _ = module.critic_inputs("emotional", None, ids, batch)
    not_emotion = (module.word_to_emotion[ids] == 0) & (ids != 0)
    assert not_emotion.any() and torch.all(embeds[not_emotion] == 0)
    # one-hot "soft" tokens give the same embeddings as the hard ids
    one_hot = torch.nn.functional.one_hot(ids, len(module.vocab)).float()
    soft, _, _, _ = module.critic_inputs("emotional", one_hot, ids, batch)
    torch.testing.assert_close(soft, embeds)


def test_plain_ddp_is_refused_with_the_fix_named(setup):
    from types import SimpleNamespace

    from lightning.pytorch.strategies import DDPStrategy

    from empathy_suite.errors import ConfigError

    module, _ = setup
    module._trainer = SimpleNamespace(strategy=DDPStrategy())
    try:
        with pytest.raises(ConfigError, match="ddp_find_unused_parameters_true"):
            module.setup("fit")
        module._trainer = SimpleNamespace(strategy=DDPStrategy(find_unused_parameters=True))
        module.setup("fit")  # vocabularies exist already: nothing else to do
    finally:
        module._trainer = None
