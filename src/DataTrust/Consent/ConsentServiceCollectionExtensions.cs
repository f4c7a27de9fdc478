using DataTrust.Identity.Clients;
using DataTrust.Jobs;
using DataTrust.Vault.Erasure;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Consent;

/// <summary>The consent ledger: recipients, data requests, consents, receipts, standing instructions, webhooks, expiry.</summary>
internal static class ConsentServiceCollectionExtensions
{
    public static IServiceCollection AddConsent(this IServiceCollection services)
    {
        services.AddScoped<RecipientAdministration>();
        services.AddSingleton<IClientStanding, RecipientStanding>();
        services.AddScoped<DataRequests>();
        services.AddScoped<ConsentLedger>();
        services.AddScoped<StandingInstructions>();
        services.AddScoped<IResidentErasureStep, WithdrawConsentsOnErasure>();
        services.AddSingleton<ConsentReceipts>();
        services.AddSingleton<ConsentWebhooks>();
        services.AddHttpClient(ConsentWebhooks.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(10))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        services.AddJobHandler<DeliverWebhookJob>(DeliverWebhookJob.Kind);
        services.AddJobHandler<ExpireConsentsJob>(ExpireConsentsJob.Kind);
        services.AddRecurringJob(ExpireConsentsJob.Schedule, ExpireConsentsJob.Kind, TimeSpan.FromMinutes(5));
        return services;
    }
}
