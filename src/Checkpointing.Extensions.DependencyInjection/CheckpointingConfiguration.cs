using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Checkpointing;

/// <summary>
/// Reads <see cref="CheckpointManagerOptions"/> from a configuration section without reflection: the settings are
/// <c>CheckpointDirectory</c>, <c>EnableLlmCache</c> and <c>LockTimeout</c>. A value that does not parse, or a key
/// that is not a setting (a typo), fails at startup with a message naming it.
/// </summary>
internal static class CheckpointingConfiguration
{
    /// <summary>The configuration section <c>AddCheckpointing(IConfiguration)</c> reads.</summary>
    public const string SectionName = "Checkpointing";

    private static readonly string[] Settings = ["CheckpointDirectory", "EnableLlmCache", "LockTimeout"];

    public static void Apply(IConfiguration section, CheckpointManagerOptions options)
    {
        var failures = new List<string>();
        foreach (var child in section.GetChildren())
        {
            if (!Settings.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                failures.Add($"{child.Path} is not a Checkpointing setting; the settings are {string.Join(", ", Settings)}.");
            }
        }

        if (section["CheckpointDirectory"] is { } directory)
        {
            options.CheckpointDirectory = directory;
        }

        if (section["EnableLlmCache"] is { } enable)
        {
            if (bool.TryParse(enable, out var value))
            {
                options.EnableLlmCache = value;
            }
            else
            {
                failures.Add($"{SectionName}:EnableLlmCache is '{enable}'; use true or false.");
            }
        }

        if (section["LockTimeout"] is { } timeout)
        {
            if (TimeSpan.TryParse(timeout, CultureInfo.InvariantCulture, out var value))
            {
                options.LockTimeout = value;
            }
            else
            {
                failures.Add($"{SectionName}:LockTimeout is '{timeout}'; use a time span such as 00:00:30 (hh:mm:ss).");
            }
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(CheckpointManagerOptions), failures);
        }
    }
}
