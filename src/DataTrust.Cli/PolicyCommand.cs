using System.CommandLine;
using DataTrust.Common;
using DataTrust.Policies;
using DataTrust.Policies.Loading;

namespace DataTrust.Cli;

/// <summary>
/// <c>datatrust policy check [--dir DIR]</c>: validates a policy directory offline, before it is
/// deployed. Prints every problem as <c>file:line: problem</c> (exit 1) or the policy version (exit 0).
/// Public so the tests can run the command as an operator would.
/// </summary>
public static class PolicyCommand
{
    public static Command Create()
    {
        var directory = new Option<string?>("--dir")
        {
            Description = "The policy directory to check (default: policies, found as the service finds it: in the working directory, then next to datatrust).",
        };
        var check = new Command("check", "Validate a data-use policy directory without starting the service; prints its version when it is valid.")
        {
            directory,
        };
        check.SetAction(parse => Check(parse.GetValue(directory), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return new Command("policy", "The data-use policy: purposes, data categories, minimisation rules, recipient criteria.") { check };
    }

    private static int Check(string? directory, TextWriter output, TextWriter error)
    {
        try
        {
            var resolved = PolicyDirectory.Resolve(directory ?? new DataTrustOptions().PoliciesDirectory, Directory.GetCurrentDirectory());
            var policy = PolicyLoader.Load(resolved);
            output.WriteLine($"The data-use policy in {resolved} is valid.");
            output.WriteLine($"version: {policy.Version}");
            output.WriteLine($"label:   {policy.VersionLabel}");
            output.WriteLine($"{policy.Purposes.Length} purposes, {policy.Categories.Length} data categories, {policy.RecipientCriteria.Length} recipient criteria");
            return 0;
        }
        catch (StartupException ex)
        {
            error.WriteLine($"datatrust: {ex.Message}");
            return 1;
        }
    }
}
