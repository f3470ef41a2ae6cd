#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsLocalAdminPassword, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsLocalAdminPassword' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'has the computer-name (default) and device-authority parameter sets' {
        $command = Get-Command -Name Get-AmsLocalAdminPassword -Module AccessManager
        $command.DefaultParameterSet | Should -BeExactly 'Get password by computer name'
        (Get-AmsParameterSet Get-AmsLocalAdminPassword ComputerName 'Get password by computer name').Position | Should -Be 0
        foreach ($name in 'AuthorityDeviceId', 'AuthorityId', 'AuthorityType') {
            $set = Get-AmsParameterSet Get-AmsLocalAdminPassword $name 'Get password by device authority information'
            $set.IsMandatory | Should -BeTrue
            $set.ValueFromPipelineByPropertyName | Should -BeTrue
        }
    }

    It 'returns the password as a SecureString by default' {
        $result = Get-AmsLocalAdminPassword 'PC1'
        (Get-AmsStubCall).Line | Should -BeExactly 'local-admin-password get --computer-name PC1'
        $result.PSTypeNames[0] | Should -BeExactly 'Ams.Password'
        $result.Password | Should -BeOfType ([System.Security.SecureString])
        ConvertFrom-AmsTestSecureString $result.Password | Should -BeExactly 'Stub-Pa55word!'
    }

    It 'returns the password as text with -AsPlainText' {
        $result = Get-AmsLocalAdminPassword -ComputerName 'PC1' -AsPlainText -AllProviders
        (Get-AmsStubCall).Line | Should -BeExactly 'local-admin-password get --computer-name PC1 --all-providers'
        $result.Password | Should -BeExactly 'Stub-Pa55word!'
    }

    It 'binds piped devices by their authority properties' {
        $device = [pscustomobject]@{ Id = 'd-1'; AuthorityType = 'Ams'; AuthorityId = 'a-1'; AuthorityDeviceId = 'd-1' }
        $null = $device | Get-AmsLocalAdminPassword
        (Get-AmsStubCall).Line | Should -BeExactly 'local-admin-password get --authority-device-id d-1 --authority-id a-1 --authority-type Ams'
    }

    It 'reads 1,000 piped devices in one batch run' {
        $devices = 1..1000 | ForEach-Object {
            [pscustomobject]@{ AuthorityType = 'Ams'; AuthorityId = 'a-1'; AuthorityDeviceId = "d-$_" }
        }
        $results = @($devices | Get-AmsLocalAdminPassword)
        $results.Count | Should -Be 1000
        $results[999].Password | Should -BeOfType ([System.Security.SecureString])
        $calls = @(Get-AmsStubCall)
        $calls.Count | Should -Be 1
        $calls[0].Line | Should -BeExactly 'batch'
    }
    It 'binds piped computer names' {
        $null = 'PC1', 'DEV\PC2' | Get-AmsLocalAdminPassword
        $call = Get-AmsStubCall
        $call.Line | Should -BeExactly 'batch'
        $requests = @($call.Stdin -split "`n" | Where-Object { $_ } | ForEach-Object { ConvertFrom-Json -InputObject $_ })
        $requests.Count | Should -Be 2
        $requests[0].parameters.ComputerName | Should -BeExactly 'PC1'
        $requests[1].parameters.ComputerName | Should -BeExactly 'DEV\PC2'
    }

    It 'binds objects by their ComputerName, Name or DNSHostName property' {
        $null = [pscustomobject]@{ ComputerName = 'PC3' } | Get-AmsLocalAdminPassword
        (Get-AmsStubCall).Line | Should -BeExactly 'local-admin-password get --computer-name PC3'
        Reset-AmsStubLog
        # Get-ADComputer's objects have both; the short Name is what ams knows the computer by.
        $null = [pscustomobject]@{ Name = 'PC4'; DNSHostName = 'pc4.dev.example' } | Get-AmsLocalAdminPassword
        (Get-AmsStubCall).Line | Should -BeExactly 'local-admin-password get --computer-name PC4'
        Reset-AmsStubLog
        $null = [pscustomobject]@{ DNSHostName = 'pc5.dev.example' } | Get-AmsLocalAdminPassword
        (Get-AmsStubCall).Line | Should -BeExactly 'local-admin-password get --computer-name pc5.dev.example'
    }

    It 'binds CSV rows with a ComputerName column' {
        $rows = "ComputerName,Owner`nPC6,alice`nPC7,bob" | ConvertFrom-Csv
        $null = $rows | Get-AmsLocalAdminPassword -AllProviders
        $requests = @((Get-AmsStubCall).Stdin -split "`n" | Where-Object { $_ } | ForEach-Object { ConvertFrom-Json -InputObject $_ })
        $requests.parameters.ComputerName | Should -Be @('PC6', 'PC7')
        $requests[0].parameters.AllProviders | Should -BeTrue
    }

    It 'reads an ams device piped with its Name by its authority, which names it exactly' {
        $device = [pscustomobject]@{ Name = 'PC8'; Id = 'd-8'; AuthorityType = 'Ams'; AuthorityId = 'a-1'; AuthorityDeviceId = 'd-8' }
        $null = $device | Get-AmsLocalAdminPassword
        (Get-AmsStubCall).Line | Should -BeExactly 'local-admin-password get --authority-device-id d-8 --authority-id a-1 --authority-type Ams'
    }
}
