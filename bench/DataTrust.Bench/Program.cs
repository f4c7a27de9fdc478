using BenchmarkDotNet.Running;
using DataTrust.Bench;

// `dotnet run -c Release --project bench/DataTrust.Bench -- --filter '*'` runs every micro-benchmark;
// `-- vault-rotation` runs the vault's rotation load harness. See bench/README.md for the figures.
if (args.Length > 0 && args[0] == "vault-rotation")
{
    return await VaultRotationHarness.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
