using DataTrust.Common;
using DataTrust.Policies.Loading;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DataTrust.Policies;

internal static partial class PoliciesServiceCollectionExtensions
{
    /// <summary>
    /// The data-use policy as a singleton, loaded on first use; <c>PrepareDataTrustAsync</c> asks for it
    /// before the service takes traffic, so an invalid policy stops the start.
    /// </summary>
    public static IServiceCollection AddPolicies(this IServiceCollection services) =>
        services.AddSingleton(provider =>
        {
            var configured = provider.GetRequiredService<IOptions<DataTrustOptions>>().Value.PoliciesDirectory;
            var directory = PolicyDirectory.Resolve(configured, provider.GetRequiredService<IHostEnvironment>().ContentRootPath);
            var policy = PolicyLoader.Load(directory);
            LogPolicyLoaded(provider.GetRequiredService<ILoggerFactory>().CreateLogger("DataTrust.Policies"), policy.Version, policy.VersionLabel, directory);
            return policy;
        });

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Data-use policy {PolicyVersion} ({PolicyLabel}) loaded from {PolicyDirectory}")]
    private static partial void LogPolicyLoaded(ILogger logger, string policyVersion, string policyLabel, string policyDirectory);
}
