using System.CommandLine;
using DataTrust.Common;
using Microsoft.Extensions.Hosting;

namespace DataTrust.Cli;

/// <summary><c>datatrust seed</c>: demo accounts and clients, Development only (README, "Demo data").</summary>
internal static class SeedCommand
{
    public static Command Create()
    {
        var seed = new Command("seed", "Create the demo accounts and clients (Development only; refused in Production).");
        seed.SetAction((parse, cancellationToken) => CliHost.Run(parse, async (services, environment, ct) =>
        {
            if (!environment.IsDevelopment())
            {
                throw new StartupException("Demo data is only for Development: pass --environment Development.");
            }

            await services.PrepareDataTrustAsync(environment, ct);
            Console.WriteLine("Demo data is in place.");
            return 0;
        }, cancellationToken));
        return seed;
    }
}
