using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DataTrust.Common.Http;

/// <summary>
/// Per-client-address token buckets for endpoints that guess-resistant secrets pass through
/// (sign-in, token, admin). Limits come from <c>RateLimiting:Sensitive</c>.
/// </summary>
internal static class RateLimiting
{
    public const string Sensitive = "sensitive";

    public static IServiceCollection AddDataTrustRateLimiting(this IServiceCollection services)
    {
        services.AddOptions<SensitiveLimit>().BindConfiguration("RateLimiting:Sensitive");
        return services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(60);
                context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await Problems.Write(context.HttpContext, StatusCodes.Status429TooManyRequests, "Too many requests",
                    "This address has sent too many requests to a sensitive endpoint. Wait and try again.", cancellationToken);
            };
            options.AddPolicy(Sensitive, context => RateLimitPartition.GetTokenBucketLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ =>
                {
                    var limit = context.RequestServices.GetRequiredService<IOptions<SensitiveLimit>>().Value;
                    return new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = limit.Burst,
                        TokensPerPeriod = Math.Max(1, limit.PermitsPerMinute / 6),
                        ReplenishmentPeriod = TimeSpan.FromSeconds(10),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    };
                }));
        });
    }

    /// <summary>A burst of <see cref="Burst"/> requests, then <see cref="PermitsPerMinute"/> on average.</summary>
    internal sealed class SensitiveLimit
    {
        public int PermitsPerMinute { get; set; } = 60;

        public int Burst { get; set; } = 20;
    }
}
