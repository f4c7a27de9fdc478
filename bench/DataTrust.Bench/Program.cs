using BenchmarkDotNet.Running;

// `dotnet run -c Release --project bench/DataTrust.Bench -- --filter '*'` runs every micro-benchmark;
// see bench/README.md for the figures and the load harnesses.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
