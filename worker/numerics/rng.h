// Random streams of one job (docs/science.md section 5). Every random draw of a job comes from
// one of a few independent std::mt19937_64 streams, each seeded from (config.seed, stream
// id) through SplitMix64. Separate streams mean that changing how much one phase draws
// (more eval prompts, more eval lengths, a longer training run) never shifts another
// phase's numbers: the training data of a job does not depend on its eval settings.
#pragma once

#include <cstdint>
#include <random>

namespace sweep::numerics {

// Stream ids are part of the reproducibility contract: never renumber them.
enum class Stream : uint64_t {
  kSubspace = 1,   // the random subspace U (drawn once per job)
  kTrain = 2,      // pretraining prompts (mamba-theory stage 1, nets training batches)
  kStage2 = 3,     // mamba-theory stage-2 prompts
  kEval = 4,       // evaluation prompts (section 4)
  kModelInit = 5,  // model parameter initialisation (random ReLU head, net weights)
};

// SplitMix64 finaliser (Steele et al. 2014): a bijective 64-bit mixer.
uint64_t SplitMix64(uint64_t x);

// A generator for `stream` of the job seeded with `seed`. Pure function of its inputs.
std::mt19937_64 MakeStream(uint64_t seed, Stream stream);

}  // namespace sweep::numerics
