using System.Security.Cryptography;

namespace DataTrust.Jobs;

/// <summary>
/// Exponential backoff with "equal jitter": the delay after attempt n is
/// <c>d = min(max, base · 2^(n−1))</c>, of which half is fixed and half random. The fixed half keeps
/// retries from coming too soon; the random half spreads the retries of jobs that failed together
/// (a database or downstream outage) so that they do not all come back at the same instant.
/// </summary>
internal static class RetryBackoff
{
    public static TimeSpan After(int attempt, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 40);
        var capped = Math.Min(baseDelay.TotalMilliseconds * Math.Pow(2, exponent), maxDelay.TotalMilliseconds);
        var jitter = RandomNumberGenerator.GetInt32(0, 1_000_001) / 1_000_000.0;
        return TimeSpan.FromMilliseconds((capped / 2) + (jitter * capped / 2));
    }
}
