// solidity-coverage: measure production contracts only. viaIR needs the Yul optimizer's stack allocation.
module.exports = {
  skipFiles: ["mocks/"],
  configureYulOptimizer: true,
  solcOptimizerDetails: {
    peephole: false,
    inliner: false,
    jumpdestRemover: false,
    orderLiterals: true,
    deduplicate: false,
    cse: false,
    constantOptimizer: false,
    yul: true,
    yulDetails: { stackAllocation: true },
  },
};
