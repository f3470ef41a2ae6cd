#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Set-AmsHostConfig, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Set-AmsHostConfig' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'has the upstream parameters, with [bool] switches of state' {
        $command = Get-Command -Name Set-AmsHostConfig -Module AccessManager
        foreach ($name in 'AgentAccessEnabled', 'WebAppEnabled', 'RemoteManagementEnabled') {
            $command.Parameters[$name].ParameterType | Should -Be ([bool])
        }
        $command.Parameters['SkipConnectionStringValidation'].SwitchParameter | Should -BeTrue
        Get-AmsConfirmImpact Set-AmsHostConfig | Should -BeExactly 'Medium'
    }

    It 'sends $true and $false as values' {
        $config = Set-AmsHostConfig -AgentAccessEnabled $true -WebAppEnabled $false
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'host-config|set|--agent-access-enabled|true|--web-app-enabled|false'
        $config.PSTypeNames[0] | Should -BeExactly 'Ams.HostConfig'
    }

    It 'passes names, paths and ports, and an empty string to remove a value' {
        $null = Set-AmsHostConfig -ExternalHostname 'ams.example.com' -HttpsPort 8443 -LogPath ''
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'host-config|set|--external-hostname|ams.example.com|--log-path||--https-port|8443'
    }

    It 'sends the connection string on stdin, never in argv' {
        $null = Set-AmsHostConfig -ConnectionString 'Server=db;Password=Canary-Ps-1' -SkipConnectionStringValidation
        $call = Get-AmsStubCall
        $call.Line | Should -BeExactly 'host-config set --skip-connection-string-validation --connection-string=-'
        $call.Stdin | Should -BeExactly "Server=db;Password=Canary-Ps-1`n"
        $call.Line | Should -Not -Match 'Canary'
    }

    It 'refuses a port out of range before running ams' {
        { Set-AmsHostConfig -HttpsPort 0 } | Should -Throw
        @(Get-AmsStubCall).Count | Should -Be 0
    }

    It 'does not run ams under -WhatIf' {
        Set-AmsHostConfig -WebAppEnabled $false -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
