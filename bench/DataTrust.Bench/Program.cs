using BenchmarkDotNet.Running;
using DataTrust.Bench;

// `dotnet run -c Release --project bench/DataTrust.Bench -- --filter '*'` runs every micro-benchmark;
// `-- audit-verify`, `-- audit-append` and `-- vault-rotation` run the load harnesses.
// See bench/README.md for the figures and how each was measured.
return args switch
{
    ["audit-verify", .. var rest] => await AuditVerifyHarness.RunAsync(rest),
    ["audit-append", .. var rest] => await AuditAppendHarness.RunAsync(rest),
    ["vault-rotation", .. var rest] => await VaultRotationHarness.RunAsync(rest),
    ["broker-release", .. var rest] => await BrokerReleaseHarness.RunAsync(rest),
    _ => Run(args),
};

static int Run(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(AuditIntegrityBenchmarks).Assembly).Run(args);
    return 0;
}
