using DataTrust.Common;
using DataTrust.Jobs;
using DataTrust.Vault.Erasure;
using DataTrust.Vault.Ingestion;
using DataTrust.Vault.Links;
using DataTrust.Vault.Records;
using DataTrust.Vault.Retention;
using DataTrust.Vault.Keys;
using DataTrust.Vault.Rotation;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DataTrust.Vault;

internal static class VaultServiceCollectionExtensions
{
    public static IServiceCollection AddVault(this IServiceCollection services)
    {
        services.AddOptions<VaultOptions>()
            .BindConfiguration(VaultOptions.Section)
            .PostConfigure(Check);
        services.AddSingleton<KeyRingProvider>();
        services.AddSingleton<ResidentDataKeys>();
        services.AddSingleton<VaultStore>();
        services.AddSingleton<ResidentErasure>();
        services.AddSingleton<KeyEncryptionKeyRotation>();
        services.AddSingleton<DataKeyRotation>();
        services.AddSingleton<KeyEncryptionKeyAdministration>();
        services.AddSingleton<VaultKeyStatus>();
        services.AddSingleton<VaultStartup>();
        services.AddSingleton<VaultKeyAudit>();
        services.AddSingleton<ProviderLinks>();
        services.AddSingleton<RecordDeposits>();
        services.AddSingleton<ResidentRecords>();
        services.AddScoped<ResidentAccountErasure>();
        services.AddJobHandler<RecordRetentionJob>(RecordRetentionJob.Kind);
        services.AddRecurringJob(RecordRetentionJob.Schedule, RecordRetentionJob.Kind, TimeSpan.FromHours(1));
        services.AddJobHandler<RotateKekJob>(RotateKekJob.Kind);
        services.AddJobHandler<RotateDekJob>(RotateDekJob.Kind);
        return services;
    }

    /// <summary>The ingestion API, the resident's record API and the operators' rotation API.</summary>
    public static IEndpointRouteBuilder MapVault(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapIngestion().MapResidentRecords().MapVaultAdmin();

    private static void Check(VaultOptions options)
    {
        if (options.MaxEncryptionsPerDataKey is < 1 or > 1L << 32)
        {
            throw new StartupException("Vault:MaxEncryptionsPerDataKey must be between 1 and 2^32 (AES-GCM's limit for random nonces); the default is 2^31.");
        }

        if (options.RotationBatchSize is < 1 or > 10_000)
        {
            throw new StartupException("Vault:RotationBatchSize must be between 1 and 10000.");
        }
    }
}
