"""A short seeded PPO run of EmpRLModule on a tiny T5 whose reward favours one token."""

from collections import Counter

import lightning as L
import torch

from empathy_suite.datamodules.empathetic_dialogues import EmpatheticDialoguesDataModule
from empathy_suite.lightning_modules.emprl import EmpRLModule
from empathy_suite.lightning_modules.t5_generator import T5GeneratorModule


class FavourOneToken(EmpRLModule):
    """Reward = share of the response's tokens equal to ``token`` (instead of R_emp)."""

    token = -1

    def score(self, batch, texts, response_ids, response_mask):
        return ((response_ids == self.token) * response_mask).sum(1) / response_mask.sum(1)


def mean_reward_and_kl(module, batch, seed=123):
    module.model.eval()
    with torch.no_grad():
        ids, mask = module.sample(batch, torch.Generator().manual_seed(seed))
        logprobs, _, _ = module.policy_outputs(batch["input_ids"], batch["attention_mask"], ids)
        ref_logits, _ = module.reference(batch["input_ids"], batch["attention_mask"], ids)
        ref = torch.log_softmax(ref_logits / module.hparams.temperature, -1).gather(-1, ids[..., None])[..., 0]
        kl = ((logprobs - ref) * mask).sum(1).mean()
    return module.score(batch, None, ids, mask).mean().item(), kl.item()


def test_ppo_raises_the_reward_and_keeps_kl_bounded():
    L.seed_everything(0)
    data = EmpatheticDialoguesDataModule(batch_size=8)
    generator = T5GeneratorModule(dim=32, layers=1, heads=2, ffn_dim=64, vocab_size=200, prefix_tuning=False,
                                  max_new_tokens=6, top_k=0, temperature=1.0)
    generator.prepare(data.examples("train"))
    module = FavourOneToken(generator_checkpoint="unused", identifier_checkpoint=None, top_k=0,
                           temperature=1.0, max_new_tokens=6, kl_coef=0.05,
                           optimizer=lambda params: torch.optim.AdamW(params, lr=3e-3))
    module.init_from_generator(generator)
    data.collate_fn = module.collate
    batch = module.collate(data.examples("valid")[:32])
    # the token the untrained policy samples most often (EOS aside), so the reward is not all zeros
    module.model.eval()
    ids, mask = module.sample(batch, torch.Generator().manual_seed(1))
    counts = Counter(ids[mask.bool()].tolist())
    counts.pop(module.tokenizer.eos_token_id, None)
    FavourOneToken.token = counts.most_common(1)[0][0]

    before, kl_before = mean_reward_and_kl(module, batch)
    trainer = L.Trainer(max_steps=30, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, limit_val_batches=0, accelerator="cpu", devices=1)
    trainer.fit(module, datamodule=data)
    after, kl_after = mean_reward_and_kl(module, batch)

    assert kl_before == 0.0
    print(f"reward {before:.3f} -> {after:.3f}, KL {kl_after:.3f}")
    assert after > before + 0.2, (before, after)
    assert 0 < kl_after < 5.0, kl_after
