using DataTrust.Accounts;
using DataTrust.Audit;
using DataTrust.Audit.Api;
using DataTrust.Brokering;
using DataTrust.Common;
using DataTrust.Consent;
using DataTrust.Common.Demo;
using DataTrust.Common.Health;
using DataTrust.Common.Http;
using DataTrust.Identity;
using DataTrust.Identity.Clients;
using DataTrust.Jobs;
using DataTrust.Jobs.Admin;
using DataTrust.Persistence;
using DataTrust.Policies;
using DataTrust.Vault;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DataTrust;

/// <summary>
/// The one composition root: the web host, the worker, the CLI and the test host all call
/// <see cref="AddDataTrust"/>, so they run the same services.
/// </summary>
public static class DataTrustHost
{
    public static IHostApplicationBuilder AddDataTrust(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;

        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(options =>
        {
            options.UseUtcTimestamp = true;
            options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            options.IncludeScopes = false;
        });

        services.AddOptions<DataTrustOptions>().Bind(configuration.GetSection(DataTrustOptions.Section));
        services.AddSingleton(TimeProvider.System);
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));

        services.AddDataTrustStorage();
        services.AddAccounts();
        services.AddPolicies();
        services.AddJobs(configuration);
        services.AddVault();
        services.AddAudit();
        services.AddOidcProvider();
        services.AddConsent();
        services.AddBrokering();
        services.AddScoped<DemoData>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: [HealthEndpoints.ReadyTag]);

        if (builder is WebApplicationBuilder)
        {
            AddWebServices(services);
        }

        return builder;
    }

    private static void AddWebServices(IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
            context.ProblemDetails.Extensions["traceId"] = context.HttpContext.TraceIdentifier);
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = false);
        services.Configure<JsonOptions>(o => o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase);
        services.AddDataTrustRateLimiting();
        services.AddOpenApi();
    }

    /// <summary>
    /// Everything that must hold before the service takes traffic: the policy loads, the schema is
    /// current, demo data exists in Development. Throws <see cref="StartupException"/> on a problem an
    /// operator can fix.
    /// </summary>
    public static async Task PrepareDataTrustAsync(this IServiceProvider services, IHostEnvironment environment, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<DataUsePolicy>();
        scope.ServiceProvider.GetRequiredService<AuditPseudonyms>().EnsureKey();
        await scope.ServiceProvider.GetRequiredService<DatabaseMigrator>().MigrateAsync(cancellationToken);
        await scope.ServiceProvider.GetRequiredService<VaultStartup>().PrepareAsync(cancellationToken);

        var options = scope.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<DataTrustOptions>>().Value;
        if (options.SeedDemoData == true && environment.IsProduction())
        {
            throw new StartupException("DataTrust:SeedDemoData is set, but demo data is refused in Production: remove the setting.");
        }

        if (environment.IsDevelopment() && options.SeedDemoData != false)
        {
            await scope.ServiceProvider.GetRequiredService<DemoData>().SeedAsync(cancellationToken);
        }

        await scope.ServiceProvider.PrepareOidcProviderAsync(cancellationToken);
    }

    public static WebApplication UseDataTrust(this WebApplication app)
    {
        app.UseRequestLogging();
        app.UseErrorResponses();
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        app.UseSecurityHeaders();
        app.UseRouting();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapHealthEndpoints();
        app.MapPolicyEndpoints();
        app.MapJobsAdmin();
        app.MapAuditEndpoints();
        app.MapOidcProvider();
        app.MapAdminClients();
        app.MapVault();
        app.MapConsent();
        app.MapBrokering();
        app.MapOpenApi("/openapi/{documentName}.json");
        return app;
    }
}
