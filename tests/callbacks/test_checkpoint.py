import lightning as L
import torch

from empathy_suite.callbacks.checkpoint import BestAndLastCheckpoint


class GetsWorse(L.LightningModule):
    """val/loss = epoch: the first epoch is the best, later ones never improve."""

    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)

    def training_step(self, batch, batch_idx):
        return self.layer(batch).sum()

    def validation_step(self, batch, batch_idx):
        self.log("val/loss", float(self.current_epoch))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def test_last_checkpoint_follows_the_latest_epoch_not_the_best(tmp_path):
    data = torch.utils.data.DataLoader(torch.randn(4, 2), batch_size=2)
    callback = BestAndLastCheckpoint(dirpath=tmp_path, monitor="val/loss", mode="min", save_last=True)
    trainer = L.Trainer(max_epochs=3, callbacks=[callback], logger=False, enable_progress_bar=False,
                        enable_model_summary=False, accelerator="cpu", num_sanity_val_steps=0)
    trainer.fit(GetsWorse(), train_dataloaders=data, val_dataloaders=data)
    assert torch.load(tmp_path / "last.ckpt", weights_only=False)["epoch"] == 2
    assert callback.best_model_path.endswith("epoch=0-step=2.ckpt")
    assert torch.load(callback.best_model_path, weights_only=False)["epoch"] == 0
