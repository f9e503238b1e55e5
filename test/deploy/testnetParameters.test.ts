import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { loadTestnetParameters, parseTestnetParameters, testnetParametersPath } from "../../deploy/lib/testnetParameters";
import { DEFAULT_RATE_MODEL } from "../../deploy/modules/Core";

type Json = Record<string, unknown>;

/** The committed sepolia example, as plain JSON to break. */
function sepoliaJson(): Json {
  return JSON.parse(readFileSync(testnetParametersPath("sepolia"), "utf8")) as Json;
}

function collateralAt(json: Json, index: number): Json {
  return (json.collaterals as Json[])[index];
}

function expectInvalid(json: Json, field: RegExp): void {
  expect(() => parseTestnetParameters(json, "broken.json")).to.throw(field);
}

describe("deploy: Testnet parameters file (deploy/parameters/<network>.json)", function () {
  it("accepts the committed sepolia file, which is marked as an example", function () {
    const parameters = loadTestnetParameters("sepolia");
    expect(parameters.example).to.equal(true);
    expect(parameters.collaterals.map((collateral) => collateral.symbol)).to.deep.equal(["WETH", "WBTC"]);
    expect(parameters.collaterals[0].supplyCap).to.equal(1_000n * 10n ** 18n);
    expect(parameters.pool.fullLiquidationHealthFactor).to.equal(95n * 10n ** 16n);
  });

  it("defaults the rate model and the example flag when they are omitted", function () {
    const json = sepoliaJson();
    delete json.rateModel;
    delete json.example;
    const parameters = parseTestnetParameters(json, "no-rate-model.json");
    expect(parameters.rateModel).to.deep.equal(DEFAULT_RATE_MODEL);
    expect(parameters.example).to.equal(false);
  });

  it("names a missing field", function () {
    const json = sepoliaJson();
    delete collateralAt(json, 0).usdFeed;
    expectInvalid(json, /collaterals\.0\.usdFeed/);
  });

  it("names a malformed address", function () {
    const json = sepoliaJson();
    (json.loanToken as Json).address = "0x1234";
    expectInvalid(json, /loanToken\.address: expected a 0x-prefixed 20-byte hex address/);
  });

  it("names an unknown key (a typo would otherwise be ignored)", function () {
    const json = sepoliaJson();
    (json.pool as Json).reserveFactor = 1_000;
    expectInvalid(json, /pool: .*reserveFactor/);
  });

  it("enforces the contracts' risk bounds per field", function () {
    const ltvAboveThreshold = sepoliaJson();
    collateralAt(ltvAboveThreshold, 0).ltvBps = 8_500;
    expectInvalid(ltvAboveThreshold, /collaterals\.0\.ltvBps: must be below liquidationThresholdBps/);

    const liquidationWorsensHealth = sepoliaJson();
    collateralAt(liquidationWorsensHealth, 1).liquidationThresholdBps = 9_500;
    collateralAt(liquidationWorsensHealth, 1).liquidationBonusBps = 600;
    expectInvalid(liquidationWorsensHealth, /collaterals\.1\.liquidationBonusBps: liquidationThresholdBps × \(1 \+ liquidationBonusBps\)/);

    const reserveTooHigh = sepoliaJson();
    (reserveTooHigh.pool as Json).reserveFactorBps = 6_000;
    expectInvalid(reserveTooHigh, /pool\.reserveFactorBps/);

    const closeFactorZero = sepoliaJson();
    (closeFactorZero.pool as Json).closeFactorBps = 0;
    expectInvalid(closeFactorZero, /pool\.closeFactorBps/);

    const fullLiquidationAboveOne = sepoliaJson();
    (fullLiquidationAboveOne.pool as Json).fullLiquidationHealthFactor = "1000000000000000001";
    expectInvalid(fullLiquidationAboveOne, /pool\.fullLiquidationHealthFactor: must be at most 1e18/);

    const rateTooHigh = sepoliaJson();
    (rateTooHigh.rateModel as Json).slopeAboveKinkAprBps = 1_000_000;
    expectInvalid(rateTooHigh, /rateModel: reaches .* bps APR at full utilization/);
  });

  it("rejects a collateral that is the loan token or listed twice", function () {
    const loanAsCollateral = sepoliaJson();
    collateralAt(loanAsCollateral, 0).address = (loanAsCollateral.loanToken as Json).address;
    expectInvalid(loanAsCollateral, /collaterals\.0\.address: is the loan token/);

    const twice = sepoliaJson();
    collateralAt(twice, 1).address = collateralAt(twice, 0).address;
    expectInvalid(twice, /collaterals\.1\.address: is listed twice/);
  });

  it("says which file is missing or is not JSON", function () {
    const rootDir = mkdtempSync(path.join(tmpdir(), "mutual-pools-params-"));
    expect(() => loadTestnetParameters("holesky", rootDir)).to.throw(/holesky\.json does not exist/);
    mkdirSync(path.join(rootDir, "deploy", "parameters"), { recursive: true });
    writeFileSync(testnetParametersPath("holesky", rootDir), "{ not json");
    expect(() => loadTestnetParameters("holesky", rootDir)).to.throw(/holesky\.json is not JSON/);
  });
});
