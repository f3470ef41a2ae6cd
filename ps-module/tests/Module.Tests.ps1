#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Meta-tests of the AccessManager module: manifest, exports, one function per file, help, tests,
# ShouldProcess, and where processes are started. No ams is run.

BeforeDiscovery {
    $moduleRoot = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', 'AccessManager'))
    $publicFiles = @(Get-ChildItem -LiteralPath (Join-Path $moduleRoot 'Public') -Filter '*.ps1' | Sort-Object Name)
    $functionCases = @($publicFiles | ForEach-Object { @{ Name = $_.BaseName; Path = $_.FullName } })
    $parity = Get-Content -LiteralPath ([System.IO.Path]::Combine($PSScriptRoot, '..', 'parity.json')) -Raw | ConvertFrom-Json
    $additionCases = @($parity.additions.PSObject.Properties | ForEach-Object { @{ Name = $_.Name; Verb = $_.Value } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $moduleRoot = $script:AmsModuleRoot
    $manifestPath = $script:AmsManifest
    Import-AmsTestModule
}

Describe 'Manifest' {
    It 'is a valid module manifest' {
        { Test-ModuleManifest -Path $manifestPath -ErrorAction Stop } | Should -Not -Throw
    }

    It 'declares both editions, PowerShell 5.1, its own GUID, formats and types' {
        $data = Import-PowerShellDataFile -Path $manifestPath
        $data.CompatiblePSEditions -join ',' | Should -BeExactly 'Desktop,Core'
        $data.PowerShellVersion | Should -BeExactly '5.1'
        $data.GUID | Should -Not -BeExactly 'd676c77a-db47-4253-9b4f-ac1d9f676f2e'
        $data.FormatsToProcess | Should -Contain 'AccessManager.Format.ps1xml'
        $data.TypesToProcess | Should -Contain 'AccessManager.Types.ps1xml'
        $data.CmdletsToExport.Count | Should -Be 0
        $data.AliasesToExport.Count | Should -Be 0
    }

    It 'exports exactly the functions in Public/, listed explicitly' {
        $data = Import-PowerShellDataFile -Path $manifestPath
        $files = @(Get-ChildItem -LiteralPath (Join-Path $moduleRoot 'Public') -Filter '*.ps1' | ForEach-Object BaseName | Sort-Object)
        (@($data.FunctionsToExport | Sort-Object) -join ',') | Should -BeExactly ($files -join ',')
        $exported = @((Get-Module AccessManager).ExportedFunctions.Keys | Sort-Object)
        ($exported -join ',') | Should -BeExactly ($files -join ',')
    }

    It 'loads default table views for the main object types' {
        foreach ($type in 'Ams.Device', 'Ams.Group', 'Ams.RegistrationKey', 'Ams.Password', 'Ams.FveRecoveryKey', 'Ams.EncryptionCertificate') {
            Get-FormatData -TypeName $type | Should -Not -BeNullOrEmpty
        }
    }
}

Describe 'Public function <Name>' -ForEach $functionCases {
    BeforeAll {
        $command = Get-Command -Name $Name -Module AccessManager
        $help = Get-Help -Name $Name -Full
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$null, [ref]$null)
    }

    It 'defines exactly one function, named like its file' {
        $functions = @($ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.FunctionDefinitionAst] }, $false))
        $functions.Count | Should -Be 1
        $functions[0].Name | Should -BeExactly $Name
    }

    It 'uses an approved verb and the Ams prefix' {
        $verb, $noun = $Name -split '-', 2
        (Get-Verb).Verb | Should -Contain $verb
        $noun | Should -BeLike 'Ams*'
    }

    It 'has a synopsis, a description and at least one example' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -BeLike "$Name *"
        ($help.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
    }

    It 'documents every parameter, its outputs and a link or notes' {
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        foreach ($parameter in $command.Parameters.Keys | Where-Object { $_ -notin $common }) {
            $entry = $help.Parameters.Parameter | Where-Object Name -EQ $parameter
            ($entry.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$parameter needs a description"
        }
        ($help.returnValues | Out-String).Trim() | Should -Not -BeNullOrEmpty
        (($help.relatedLinks | Out-String) + ($help.alertSet | Out-String)).Trim() | Should -Not -BeNullOrEmpty
    }

    It 'has its own test file' {
        Join-Path $PSScriptRoot "$Name.Tests.ps1" | Should -Exist
    }

    It 'supports -WhatIf when it changes state' {
        # Get, Test and Resolve only read; every other verb changes something.
        $verb = ($Name -split '-')[0]
        if ($verb -notin @('Get', 'Test', 'Resolve')) {
            $command.Parameters.ContainsKey('WhatIf') | Should -BeTrue
            $command.Parameters.ContainsKey('Confirm') | Should -BeTrue
        }
    }

    It 'asks for confirmation by default when it removes something or changes keys' {
        if ($Name -like 'Remove-*' -or $Name -in @('Update-AmsMasterKey', 'Restore-AmsMasterKey', 'Set-AmsRecoveryPassword', 'Enable-AmsEncryptionCertificate')) {
            Get-AmsConfirmImpact $Name | Should -BeExactly 'High'
        }
    }

    It 'starts no process itself' {
        $text = Get-Content -LiteralPath $Path -Raw
        $text | Should -Not -Match 'Diagnostics\.Process|Start-Process|Invoke-Expression|&\s*\$'
    }
}

Describe 'Module addition <Name>' -ForEach $additionCases {
    It 'says in its help that it is a module addition' {
        ((Get-Help -Name $Name -Full).alertSet | Out-String) | Should -Match 'Module addition'
    }
}

Describe 'Process launching' {
    It 'happens only in Private/Invoke-AmsCli.ps1' {
        $files = Get-ChildItem -LiteralPath $moduleRoot -Recurse -Include '*.ps1', '*.psm1'
        $launching = @($files | Where-Object { (Get-Content -LiteralPath $_.FullName -Raw) -match 'Diagnostics\.Process\]|Start-Process' })
        $launching.Name -join ',' | Should -BeExactly 'Invoke-AmsCli.ps1'
    }
}

Describe 'PSScriptAnalyzer' {
    It 'finds no errors or warnings' {
        if (-not (Get-Module -ListAvailable -Name PSScriptAnalyzer)) {
            Set-ItResult -Skipped -Because 'PSScriptAnalyzer is not installed'
            return
        }
        # PSUseSingularNouns: Get-AmsGroupMembers keeps its upstream plural noun.
        # PSReviewUnusedParameter: parameters are read through $PSBoundParameters, which the rule
        # does not see.
        # PSUseDeclaredVarsMoreThanAssignments: the -Force idiom assigns $ConfirmPreference, which
        # ShouldProcess reads without naming it.
        $excluded = @('PSUseSingularNouns', 'PSReviewUnusedParameter', 'PSUseDeclaredVarsMoreThanAssignments')
        $findings = @(Invoke-ScriptAnalyzer -Path $moduleRoot -Recurse -Severity @('Error', 'Warning') -ExcludeRule $excluded)
        ($findings | ForEach-Object { "$($_.ScriptName):$($_.Line) $($_.RuleName) $($_.Message)" }) -join "`n" | Should -BeNullOrEmpty
    }
}
