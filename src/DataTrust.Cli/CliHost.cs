using System.CommandLine;
using DataTrust.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DataTrust.Cli;

/// <summary>
/// The CLI runs the service's own composition (<c>AddDataTrust()</c>) without a web server, on the
/// configuration an operator gives it: <c>appsettings.json</c> in the working directory, environment
/// variables (<c>DataTrust__DataDirectory</c>, <c>Storage__Provider</c>, <c>ConnectionStrings__DataTrust</c>),
/// then the global options below.
/// </summary>
internal static class CliHost
{
    public static readonly Option<string?> DataDirectory = new("--data-dir")
    {
        Description = "The service's data directory (default ./data): holds the SQLite database.",
        Recursive = true,
    };

    public static readonly Option<string?> Environment = new("--environment")
    {
        Description = "Hosting environment, as the service's ASPNETCORE_ENVIRONMENT (default Production).",
        Recursive = true,
    };

    public static IHost Build(ParseResult parse)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            EnvironmentName = parse.GetValue(Environment) ?? System.Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? Environments.Production,
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        builder.Configuration.AddEnvironmentVariables("ASPNETCORE_");
        if (parse.GetValue(DataDirectory) is { } dataDirectory)
        {
            builder.Configuration.AddInMemoryCollection([new("DataTrust:DataDirectory", dataDirectory)]);
        }

        builder.AddDataTrust();
        // The service's authorization policies need routing's endpoint data source, which only a web host
        // adds; without it Development's container validation refuses to build (e.g. seed, keys add-kek).
        builder.Services.AddRouting();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.None); // failures surface as one plain message
        return builder.Build();
    }

    /// <summary>Runs a command body with the service's services, turning operator-fixable failures into a message and exit code 1.</summary>
    public static async Task<int> Run(ParseResult parse, Func<IServiceProvider, IHostEnvironment, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        try
        {
            using var host = Build(parse);
            await using var scope = host.Services.CreateAsyncScope();
            return await body(scope.ServiceProvider, host.Services.GetRequiredService<IHostEnvironment>(), cancellationToken);
        }
        catch (StartupException ex)
        {
            await Console.Error.WriteLineAsync($"datatrust: {ex.Message}");
            return 1;
        }
    }
}
