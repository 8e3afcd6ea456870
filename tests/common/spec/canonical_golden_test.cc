// Pins the canonical JSON, config hash and training hash of configs that use every
// value of every enumerated key (model, format, schedule, attention, gate, kernel,
// features, dtype, subspace). The expected strings were produced by the registry as it
// was before job configs became typed (string fields); stored results, the result cache
// and checkpoints are keyed by these hashes, so they must never change by accident.
#include <string>
#include <vector>

#include "common/job_keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace sweep {
namespace {

using ::nlohmann::json;
using ::sweep::testing::IsOk;

struct Golden {
  const char* partial;    // what a sweep file gives
  const char* canonical;  // CanonicalJson of the resolved config
  const char* config_hash;
  const char* training_hash;
};

const std::vector<Golden>& Goldens() {
  static const std::vector<Golden> goldens = {
      {R"({"model":"krr","d":8,"N":64,"link":"h3"})",
       R"({"N":64,"d":8,"dtype":"float32","eps":0.5,"eval_lengths":[8,16,32,64],)"
       R"("eval_tasks":1000,"features":"ambient","kernel":"rbf","link":"h3","model":"krr",)"
       R"("r":8,"seed":0,"subspace":"aligned","tau":0.1,"threads":1})",
       "1c64c4ad2dd02b0979405baf9b1dff979349dedb3dd38f4c9f70c51951f0afca",
       "a7f5e78fcb4fe170bcefc90947ab4955a7c09cb277d5ca667b0d65a992b9f99f"},
      {R"({"model":"krr","d":6,"r":3,"N":32,"kernel":"poly","features":"intrinsic",)"
       R"("subspace":"random","dtype":"float64","seed":5,"eval_lengths":[4,32]})",
       R"({"N":32,"d":6,"dtype":"float64","eps":0.5,"eval_lengths":[4,32],)"
       R"("eval_tasks":1000,"features":"intrinsic","kernel":"poly","link":"h2",)"
       R"("model":"krr","r":3,"seed":5,"subspace":"random","tau":0.1,"threads":1})",
       "1b1d81588cc52e5eab9bace8cbcc262d6ee6d07e04c3de5d98fb2b221a96b92b",
       "8b32f78829a05a423537931902801dcce892b882d75c63377a9579b4880a2e80"},
      {R"({"model":"mamba-theory","d":16,"N":128,"gate":"none","link":"0.6*h1 + 0.8*h3",)"
       R"("eps":0.25})",
       R"({"K1":200,"N":128,"T1":256,"T2":8192,"d":16,"dtype":"float32","eps":0.25,)"
       R"("eta1":0.05,"eval_lengths":[16,32,64,128],"eval_tasks":1000,"gate":"none",)"
       R"("lambda1":1e-04,"lambda2":0.01,"link":"0.6*h1+0.8*h3","m":256,)"
       R"("model":"mamba-theory","r":8,"seed":0,"subspace":"aligned","tau":0.1,)"
       R"("threads":1})",
       "aa1cbc3581af702fda17226fdd3f9d6955d5ba3eecb6376e75e7c71f88d6775e",
       "164322185423d57ac50017c819e989abb7b49f4d8e8d1e3697e5c0bc7264c1ef"},
      // Since defaults version 2 (docs/science.md section 7) the old training defaults
      // must be spelled out to reach these stored jobs; their identity is unchanged.
      {R"({"model":"mamba","d":8,"N":16,"format":"paired","schedule":"cosine",)"
       R"("curriculum":true,"selective":false,"lr":0.0003,"steps":2000,"batch":64,)"
       R"("warmup":0})",
       R"({"D":64,"L":2,"N":16,"batch":64,"clip":1.0,"conv":4,"curriculum":true,)"
       R"("curriculum_ramp":0.5,"curriculum_start":0.25,"d":8,"dtype":"float32","eps":0.5,)"
       R"("eval_lengths":[2,4,8,16],"eval_tasks":1000,"expand":2,"format":"paired",)"
       R"("link":"h2","lr":3e-04,"model":"mamba","n":16,"r":8,"schedule":"cosine",)"
       R"("seed":0,"selective":false,"steps":2000,"subspace":"aligned","tau":0.1,)"
       R"("threads":1,"warmup":0})",
       "d7f7ba0ffabfd91bb11e2504fb6e200ba09908fc3d0c5acfc63d8302ed5be4e4",
       "d1e5b9a4cd1444f62269c10c87002e3b8baafc2bf80a53f601657202b066bab5"},
      {R"({"model":"transformer","d":8,"N":16,"attention":"linear","schedule":"constant",)"
       R"("format":"interleaved","dtype":"float64","H":2,"steps":2000,"batch":64,)"
       R"("lr":0.001,"warmup":0,"curriculum":false})",
       R"({"D":64,"H":2,"L":2,"N":16,"attention":"linear","batch":64,"clip":1.0,)"
       R"("curriculum":false,"d":8,"dtype":"float64","eps":0.5,"eval_lengths":[0,1,2,3,4,)"
       R"(5,6,7,8,9,10,11,12,13,14,15,16],"eval_tasks":1000,"format":"interleaved",)"
       R"("link":"h2","lr":0.001,"model":"transformer","r":8,"schedule":"constant",)"
       R"("seed":0,"steps":2000,"subspace":"aligned","tau":0.1,"threads":1,"warmup":0})",
       "f39ae655a5646c6845f762a9ec0e4e2dbb0ea35a1038b11ae884e00ad251d61c",
       "f6f3d81c8a958b29741727884cf63ab347591b3bae018f7503ef006658d94cbf"},
      {R"({"model":"mamba-theory","d":4,"r":2,"N":32,"dtype":"float64",)"
       R"("subspace":"random","seed":3})",
       R"({"K1":200,"N":32,"T1":256,"T2":8192,"d":4,"dtype":"float64","eps":0.5,)"
       R"("eta1":0.05,"eval_lengths":[4,8,16,32],"eval_tasks":1000,"gate":"sigmoid",)"
       R"("lambda1":1e-04,"lambda2":0.01,"link":"h2","m":256,"model":"mamba-theory","r":2,)"
       R"("seed":3,"subspace":"random","tau":0.1,"threads":1})",
       "7aee2e39e59bf0b0a6966795eaa2eab937cc6543e08701a6e4c7cfeb1b9418c6",
       "238f0d14019cebbda71d60ef4958c782af86c9ee760e77e5a844499e8d92fe26"},
      {R"({"model":"transformer","d":4,"N":8,"format":"paired","eval_tasks":50,)"
       R"("steps":2000,"batch":64,"lr":0.001,"warmup":0,"schedule":"constant",)"
       R"("curriculum":false})",
       R"({"D":64,"H":4,"L":2,"N":8,"attention":"softmax","batch":64,"clip":1.0,)"
       R"("curriculum":false,"d":4,"dtype":"float32","eps":0.5,"eval_lengths":[1,2,4,8],)"
       R"("eval_tasks":50,"format":"paired","link":"h2","lr":0.001,"model":"transformer",)"
       R"("r":4,"schedule":"constant","seed":0,"steps":2000,"subspace":"aligned",)"
       R"("tau":0.1,"threads":1,"warmup":0})",
       "46942122d97b4165374dc0408a559b3847c8213f8841eb48c663afb3fbd47d95",
       "5c46bd4acffc69c76b64036d13e0f09fd197b3f29b625fa2ad9e416a53b96bf1"},
  };
  return goldens;
}

TEST(CanonicalGoldenTest, CanonicalJsonAndHashesMatchTheStoredOnes) {
  for (const Golden& g : Goldens()) {
    absl::StatusOr<JobConfig> c = ResolveJobConfig(json::parse(g.partial));
    ASSERT_THAT(c, IsOk()) << g.partial;
    EXPECT_EQ(CanonicalJson(*c), g.canonical) << g.partial;
    EXPECT_EQ(ConfigHash(*c), g.config_hash) << g.partial;
    EXPECT_EQ(TrainingHash(*c), g.training_hash) << g.partial;
    const JobIdentity id = IdentifyJob(*c);  // what a stored job gets
    EXPECT_EQ(id.canonical_json, g.canonical) << g.partial;
    EXPECT_EQ(id.config_hash, g.config_hash) << g.partial;
    EXPECT_EQ(id.training_hash, g.training_hash) << g.partial;
  }
}

TEST(CanonicalGoldenTest, CanonicalJsonResolvesBackToTheSameHashes) {
  for (const Golden& g : Goldens()) {
    absl::StatusOr<JobConfig> c = ResolveJobConfig(json::parse(g.canonical));
    ASSERT_THAT(c, IsOk()) << g.canonical;
    EXPECT_EQ(CanonicalJson(*c), g.canonical);
    EXPECT_EQ(ConfigHash(*c), g.config_hash);
    EXPECT_EQ(TrainingHash(*c), g.training_hash);
  }
}

}  // namespace
}  // namespace sweep
