// Random streams of one job (docs/science.md section 5). Every random draw of a job comes
// from one of a few independent streams, each seeded from (config.seed, stream id)
// through SplitMix64. Separate streams mean that changing how much one phase draws (more
// eval prompts, more eval lengths, a longer training run) never shifts another phase's
// numbers: the training data of a job does not depend on its eval settings.
//
// Two generators:
//  - TaskRng (task data: subspace, prompts, labels): eight interleaved xoshiro256++
//    lanes. A mamba-theory job draws ~520M normals; one serial generator cannot feed the
//    vectorised ziggurat (normal.h), eight independent lanes advance in two AVX2
//    registers (plain scalar code, same numbers, without AVX2).
//  - std::mt19937_64 (model parameter initialisation): a few thousand draws per job, so
//    speed does not matter there and the nets' initialisers keep their std interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
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

// SplitMix64 finaliser (Steele et al. 2014): a bijective 64-bit mixer. SplitMix64(x) is
// the first output of Vigna's splitmix64.c generator with state x.
uint64_t SplitMix64(uint64_t x);

// The 64-bit seed of `stream` of a job: SplitMix64(SplitMix64(seed) ^ stream id). Mixing
// twice keeps (seed, stream) and (seed', stream') with seed ^ stream equal apart.
uint64_t StreamSeed(uint64_t seed, Stream stream);

// xoshiro256++ 1.0 (Blackman & Vigna 2019), exactly the authors' xoshiro256plusplus.c:
// the scalar reference for one lane of TaskRng.
class Xoshiro256pp {
 public:
  Xoshiro256pp(uint64_t s0, uint64_t s1, uint64_t s2, uint64_t s3) : s_{s0, s1, s2, s3} {}
  uint64_t operator()() {
    const uint64_t result = Rotl(s_[0] + s_[3], 23) + s_[0];
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  void State(uint64_t& s0, uint64_t& s1, uint64_t& s2, uint64_t& s3) const {
    s0 = s_[0], s1 = s_[1], s2 = s_[2], s3 = s_[3];
  }

 private:
  uint64_t s_[4];
};

// The task-data generator: kLanes xoshiro256++ generators, interleaved. Lane l starts
// from the state words z[4l], z[4l+1], z[4l+2], z[4l+3], where z[k] = SplitMix64(seed +
// k * 0x9e3779b97f4a7c15) (the splitmix64.c sequence started at state `seed`). The output
// is round by round: round t yields the t-th output of lane 0, then of lane 1, ..., lane
// kLanes - 1. operator() and Fill() consume that one sequence (mixing them is fine).
// Satisfies std::uniform_random_bit_generator. Not thread-safe.
class TaskRng {
 public:
  using result_type = uint64_t;
  static constexpr int kLanes = 8;

  explicit TaskRng(uint64_t seed);

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<uint64_t>::max(); }

  uint64_t operator()() {
    if (pos_ == kLanes) {
      Rounds(buf_, 1);
      pos_ = 0;
    }
    return buf_[pos_++];
  }

  // out[0..count) = the next `count` words; the same words as `count` calls of operator().
  void Fill(uint64_t* out, std::size_t count);

 private:
  // `rounds` rounds: every lane advances `rounds` times; out[8 r + l] = lane l's r-th.
  void Rounds(uint64_t* out, std::size_t rounds);

  // Structure of arrays, so that a round is two AVX2 operations per step: s_[w][l] = word w
  // of lane l.
  alignas(64) uint64_t s_[4][kLanes];
  uint64_t buf_[kLanes];
  int pos_ = kLanes;  // next unread word of buf_; kLanes = empty
};

// The task generator for `stream` of the job seeded with `seed`: TaskRng(StreamSeed()).
TaskRng MakeTaskStream(uint64_t seed, Stream stream);

// The model-initialisation generator for `stream` (Stream::kModelInit):
// std::mt19937_64(StreamSeed(seed, stream)). Pure function of its inputs.
std::mt19937_64 MakeStream(uint64_t seed, Stream stream);

}  // namespace sweep::numerics
