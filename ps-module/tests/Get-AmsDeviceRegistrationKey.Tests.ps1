#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsDeviceRegistrationKey, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsDeviceRegistrationKey' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'has the GetByName (default), GetById and GetByKey parameter sets' {
        $command = Get-Command -Name Get-AmsDeviceRegistrationKey -Module AccessManager
        $command.DefaultParameterSet | Should -BeExactly 'GetByName'
        ($command.ParameterSets.Name | Sort-Object) -join ',' | Should -BeExactly 'GetById,GetByKey,GetByName'
        (Get-AmsParameterSet Get-AmsDeviceRegistrationKey Id GetById).ValueFromPipelineByPropertyName | Should -BeTrue
        (Get-AmsParameterSet Get-AmsDeviceRegistrationKey Key GetByKey).IsMandatory | Should -BeTrue
    }

    It 'lists keys with no parameters' {
        $keys = @(Get-AmsDeviceRegistrationKey)
        (Get-AmsStubCall).Line | Should -BeExactly 'device-registration-key get'
        $keys[0].PSTypeNames[0] | Should -BeExactly 'Ams.RegistrationKey'
    }

    It 'finds by key value' {
        $null = Get-AmsDeviceRegistrationKey -Key 'abc'
        (Get-AmsStubCall).Line | Should -BeExactly 'device-registration-key get --key abc'
    }

    It 'reads piped ids in one batch' {
        $keys = @('k-1', 'k-2', 'k-3' | ForEach-Object { [pscustomobject]@{ Id = $_ } } | Get-AmsDeviceRegistrationKey)
        $keys.Count | Should -Be 3
        $call = Get-AmsStubCall
        $call.Line | Should -BeExactly 'batch'
        ($call.StdinLines[2] | ConvertFrom-Json).parameters.Id | Should -BeExactly 'k-3'
    }
}
