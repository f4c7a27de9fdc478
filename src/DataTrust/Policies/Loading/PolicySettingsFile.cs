using YamlDotNet.RepresentationModel;

namespace DataTrust.Policies.Loading;

/// <summary>policy.yaml: the schema version, the human version label and statistics settings.</summary>
internal static class PolicySettingsFile
{
    public const string Name = "policy.yaml";

    public const int SupportedSchemaVersion = 1;

    public static PolicySettings? Read(PolicyFile file, YamlMappingNode root)
    {
        var settings = StrictMapping.Root(file, root, "schema_version", "version_label", "statistics");
        var schemaVersion = settings.Integer("schema_version");
        if (schemaVersion is { } version && version != SupportedSchemaVersion)
        {
            file.Error(settings.Optional("schema_version")!, $"schema_version {version} is not supported: this DataTrust reads schema_version {SupportedSchemaVersion}");
            schemaVersion = null;
        }

        var label = settings.Text("version_label");
        var statistics = settings.Mapping("statistics", "minimum_group_size");
        var minimumGroupSize = statistics?.Integer("minimum_group_size");
        if (minimumGroupSize is < 2)
        {
            file.Error(statistics!.Optional("minimum_group_size")!, $"'minimum_group_size' of {statistics.What} is {minimumGroupSize}, but must be at least 2: a smaller group can single out one resident");
            minimumGroupSize = null;
        }

        return schemaVersion is { } schema && label is not null && minimumGroupSize is { } groupSize
            ? new PolicySettings(schema, label, groupSize)
            : null;
    }
}
