using DataTrust.Common;

namespace DataTrust.Policies;

/// <summary>
/// Finds the policy directory from <c>DataTrust:PoliciesDirectory</c>: an absolute path as it is; a
/// relative one against the content root first (a source checkout, a container's working directory),
/// then next to the binaries, where the Web and CLI builds copy <c>policies/</c>.
/// </summary>
internal static class PolicyDirectory
{
    public static string Resolve(string? configured, string contentRoot)
    {
        if (string.IsNullOrWhiteSpace(configured))
        {
            throw new StartupException("DataTrust:PoliciesDirectory is empty: set it to the folder holding policy.yaml (default: policies).");
        }

        string[] candidates = Path.IsPathRooted(configured)
            ? [configured]
            : [.. new[] { Path.Combine(contentRoot, configured), Path.Combine(AppContext.BaseDirectory, configured) }.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal)];
        return candidates.FirstOrDefault(Directory.Exists)
            ?? throw new StartupException(
                $"the policy directory was not found; tried {string.Join(" and ", candidates)}. Set DataTrust:PoliciesDirectory to the folder holding policy.yaml.");
    }
}
