"""Writes golden.bin: scvi-tools VAE forward/backward/Adam reference tensors for cellvi tests.

Run from this directory:  python3 make_golden.py
Requires scvi-tools 1.4.2 and torch. The output is committed; tests never run Python.

Format (version 1): the ASCII line "CELLVI-GOLDEN 1\n", then one line of JSON
{"cases": {case: {"config": {...}, "tensors": {name: [offset, [shape...]]}}}}, then
little-endian float32 data; offsets count floats from the start of the data.
"""
import json, struct
import numpy as np
import torch
import scvi
from scvi.module import VAE

B, G, K, H, Z = 8, 30, 2, 16, 4
KL_WEIGHT = 0.5

CASES = {
    "nb": dict(gene_likelihood="nb", dispersion="gene", n_layers=1,
               use_observed_lib_size=True, encode_covariates=False),
    "zinb": dict(gene_likelihood="zinb", dispersion="gene", n_layers=1,
                 use_observed_lib_size=True, encode_covariates=False),
    "zinb_genebatch_latentlib": dict(gene_likelihood="zinb", dispersion="gene-batch", n_layers=2,
                                     use_observed_lib_size=False, encode_covariates=True),
    "nb_genecell": dict(gene_likelihood="nb", dispersion="gene-cell", n_layers=1,
                        use_observed_lib_size=True, encode_covariates=False),
    "poisson": dict(gene_likelihood="poisson", dispersion="gene", n_layers=1,
                    use_observed_lib_size=True, encode_covariates=False),
}


def run_case(seed, opts):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    rates = rng.gamma(0.6, 3.0, size=(B, G)) * rng.uniform(0.3, 2.0, size=(B, 1))
    x = rng.poisson(rates).astype(np.float32)
    x[:, 0] += 1  # no empty cells
    batch = np.array([0, 1, 0, 1, 1, 0, 0, 1], dtype=np.float32)
    eps_z = rng.standard_normal((B, Z)).astype(np.float32)
    eps_l = rng.standard_normal((B, 1)).astype(np.float32)
    loglib = np.log(x.sum(1))
    lib_means = np.array([[loglib[batch == k].mean() for k in range(K)]], dtype=np.float32)
    lib_vars = np.array([[loglib[batch == k].var() for k in range(K)]], dtype=np.float32)

    kw = dict(n_input=G, n_batch=K, n_hidden=H, n_latent=Z, dropout_rate=0.0, **opts)
    if not opts["use_observed_lib_size"]:
        kw.update(library_log_means=lib_means, library_log_vars=lib_vars)
    module = VAE(**kw)
    module.train()

    noise = {Z: torch.tensor(eps_z), 1: torch.tensor(eps_l)}
    orig = torch.distributions.Normal.rsample

    def fixed_rsample(self, sample_shape=torch.Size()):
        return self.loc + self.scale * noise[self.loc.shape[-1]]

    torch.distributions.Normal.rsample = fixed_rsample
    tensors = {"X": torch.tensor(x), "batch": torch.tensor(batch).long().reshape(B, 1),
               "labels": torch.zeros(B, 1)}
    out = {"x": x, "batch": batch, "eps_z": eps_z, "eps_l": eps_l,
           "library_log_means": lib_means.ravel(), "library_log_vars": lib_vars.ravel()}
    names = [n for n, _ in module.named_parameters()]
    for n, t in module.state_dict().items():
        if "num_batches_tracked" not in n:
            out["init/" + n] = t.detach().numpy().copy()
    opt = torch.optim.Adam([p for p in module.parameters() if p.requires_grad],
                           lr=1e-3, eps=0.01, weight_decay=1e-6)
    for step in range(3):
        opt.zero_grad()
        inf, gen, losses = module.forward(tensors, loss_kwargs={"kl_weight": KL_WEIGHT})
        losses.loss.backward()
        if step == 0:
            px = gen["px"]
            out["qz_m"] = inf["qz"].loc.detach().numpy()
            out["qz_v"] = (inf["qz"].scale ** 2).detach().numpy()
            out["z"] = inf["z"].detach().numpy()
            out["library"] = inf["library"].detach().numpy().ravel()
            out["px_scale"] = px.scale.detach().numpy()
            out["px_rate"] = (px.rate if opts["gene_likelihood"] == "poisson" else px.mu).detach().numpy()
            if opts["gene_likelihood"] != "poisson":
                out["px_theta"] = px.theta.detach().numpy() * np.ones((B, G), np.float32)
            if opts["gene_likelihood"] == "zinb":
                out["px_dropout"] = px.zi_logits.detach().numpy()
            rl = losses.reconstruction_loss
            out["reconst_loss"] = sum(rl.values()).detach().numpy()
            kl = losses.kl_local
            out["kl_z"] = kl[list(kl)[1]].detach().numpy()
            out["kl_l"] = (kl[list(kl)[0]].detach().numpy() * np.ones(B, np.float32)
                           if torch.is_tensor(kl[list(kl)[0]]) else np.zeros(B, np.float32))
            out["loss"] = np.array([losses.loss.item()], np.float32)
            for n, p in module.named_parameters():
                if p.grad is not None:
                    out["grad/" + n] = p.grad.detach().numpy().copy()
        opt.step()
    torch.distributions.Normal.rsample = orig
    for n, t in module.state_dict().items():
        if "num_batches_tracked" not in n:
            out["step3/" + n] = t.detach().numpy().copy()
    config = dict(n_input=G, n_batch=K, n_hidden=H, n_latent=Z, kl_weight=KL_WEIGHT, **opts)
    return config, out


def main():
    header = {"scvi_version": scvi.__version__, "torch_version": torch.__version__, "cases": {}}
    blobs, offset = [], 0
    for i, (name, opts) in enumerate(CASES.items()):
        config, tensors = run_case(100 + i, opts)
        entry = {"config": config, "tensors": {}}
        for tname, arr in tensors.items():
            arr = np.asarray(arr, dtype=np.float32)
            entry["tensors"][tname] = [offset, list(arr.shape)]
            blobs.append(arr.ravel().astype("<f4").tobytes())
            offset += arr.size
        header["cases"][name] = entry
    with open("golden.bin", "wb") as f:
        f.write(b"CELLVI-GOLDEN 1\n")
        f.write(json.dumps(header).encode() + b"\n")
        for b in blobs:
            f.write(b)
    print("wrote golden.bin,", offset * 4, "bytes of data")


if __name__ == "__main__":
    main()
